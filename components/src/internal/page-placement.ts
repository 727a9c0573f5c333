import type { JobSnapshot, JobState, ListSort } from '@job-status/protocol';

/** Which page a list shows, as far as placing a job on it goes. */
export interface PagePosition {
  /** Only jobs in this state belong; null or absent: any. */
  state?: JobState | null;
  /** Default `created_desc`. */
  sort?: ListSort | null;
  /** The first page: a job that sorts before every row belongs here. */
  first: boolean;
  /** The last page: a job that sorts after every row belongs here. */
  last: boolean;
}

const ORDER: Record<ListSort, ['created_at' | 'updated_at', 1 | -1]> = {
  created_desc: ['created_at', -1],
  created_asc: ['created_at', 1],
  updated_desc: ['updated_at', -1],
};

/**
 * The rows of a page after the stream brought `job` (new, or changed): it leaves when it
 * no longer matches the state filter, moves when its sort key moved, and a job not on the
 * page comes in at its place in the order, unless that place is before the page's first
 * row on a later page, or after its last row with pages after it (it belongs to another
 * page then). Pure: the list keeps its page live with it, without asking the server.
 */
export function placeJob(rows: readonly JobSnapshot[], job: JobSnapshot, page: PagePosition): JobSnapshot[] {
  const others = rows.filter((row) => row.job_id !== job.job_id);
  if (page.state && job.state !== page.state) return others;
  const [key, direction] = ORDER[page.sort ?? 'created_desc'];
  const found = others.findIndex((row) => direction * job[key].localeCompare(row[key]) < 0);
  const index = found === -1 ? others.length : found;
  const shown = others.length !== rows.length;
  if (!shown && ((index === 0 && !page.first && others.length) || (index === others.length && !page.last))) return [...rows];
  others.splice(index, 0, job);
  return others;
}
