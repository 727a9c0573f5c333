import { TERMINAL_STATES } from '@job-status/protocol';
import type { JobState } from '@job-status/protocol';
import { SORT_COLUMNS, decodeCursor } from '../cursor.js';
import type { ListQuery } from '../store.js';
import { BUSY, FINISHED } from './schema.js';

/** The SQL of a history page and its parameters: the matches in the query's order, `limit + 1` of them at most. */
export function listStatement(query: ListQuery): { sql: string; params: unknown[] } {
  const { column, descending } = SORT_COLUMNS[query.sort];
  const where: string[] = [];
  const params: unknown[] = [];
  const anyOf = (field: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    where.push(`${field} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  anyOf('state', query.states);
  anyOf('kind', query.kinds);
  anyOf('target', query.targets);
  const cursor = query.cursor ? decodeCursor(query.cursor) : null;
  if (cursor) {
    const op = descending ? '<' : '>';
    where.push(`(${column} ${op} ? OR (${column} = ? AND job_id ${op} ?))`);
    params.push(cursor.at, cursor.at, cursor.id);
  }
  const order = descending ? 'DESC' : 'ASC';
  const orderBy = `ORDER BY ${column} ${order}, job_id ${order} LIMIT ?`;
  const select = (terms: string[], from = 'job_status_jobs') => `SELECT * FROM ${from} ${terms.length ? `WHERE ${terms.join(' AND ')}` : ''} ${orderBy}`;
  const limit = query.limit + 1;
  if (column !== 'updated_at') return { sql: select(where), params: [...params, limit] };
  // The update-time index holds finished jobs only (busy ones change too often to keep
  // it): finished jobs come through it in order, busy ones through the state index, and
  // the two ordered runs are merged. The planner does not know that busy jobs are few, so
  // it is told: with a kind filter it would otherwise read every job of that kind twice.
  const busyJobs = 'job_status_jobs INDEXED BY job_status_jobs_state';
  const states = query.states?.length ? query.states : null;
  const finished = !states || states.some((state) => TERMINAL_STATES.has(state as JobState));
  const busy = !states || states.some((state) => !TERMINAL_STATES.has(state as JobState));
  if (!busy) return { sql: select([FINISHED, ...where]), params: [...params, limit] };
  if (!finished) return { sql: select([BUSY, ...where], busyJobs), params: [...params, limit] };
  return {
    sql: `SELECT * FROM (${select([FINISHED, ...where])}) UNION ALL SELECT * FROM (${select([BUSY, ...where], busyJobs)}) ${orderBy}`,
    params: [...params, limit, ...params, limit, limit],
  };
}
