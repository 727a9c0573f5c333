import type { ListSort } from '@job-status/protocol';
import type { ListPage, ListQuery, StoredJob } from './store.js';

/** A keyset position: the sort column's value and the job id that breaks ties. */
export interface Cursor {
  at: string;
  id: string;
}

/** The column each sort orders by, and its direction. */
export const SORT_COLUMNS: Record<ListSort, { column: 'created_at' | 'updated_at'; descending: boolean }> = {
  created_desc: { column: 'created_at', descending: true },
  created_asc: { column: 'created_at', descending: false },
  updated_desc: { column: 'updated_at', descending: true },
};

/** The opaque `next_cursor` text of a position (base64url JSON); {@link decodeCursor} reads it back. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

/** The position a `cursor` names, or null when `text` is not a cursor {@link encodeCursor} made. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      value[0].length <= 40 &&
      value[1].length <= 64
    ) {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // not base64url JSON: fall through
  }
  return null;
}

/**
 * The page a store answers once it has read its matches in the query's order, at least
 * `limit + 1` of them when there are that many: the first `limit`, and a cursor after the
 * last of those when one more match follows (so a page never ends on an empty next page).
 */
export function pageOf(matches: readonly StoredJob[], query: ListQuery): ListPage {
  const { column } = SORT_COLUMNS[query.sort];
  const jobs = matches.slice(0, query.limit);
  const last = jobs.at(-1);
  return {
    jobs,
    next_cursor: matches.length > query.limit && last ? encodeCursor({ at: last[column], id: last.job_id }) : null,
  };
}
