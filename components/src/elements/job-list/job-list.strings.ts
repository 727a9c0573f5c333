import type { ConnectionState } from '../../client/types.js';
import { absoluteFormat, cached, jobStatusStrings } from '../../internal/strings.js';
import type { JobStatusStrings } from '../../internal/strings.js';

/** The texts of `<job-list>`: those of the tile, plus the dashboard's own. */
export interface JobListStrings extends JobStatusStrings {
  /** Accessible name of the table. */
  caption: string;
  /** The exact time in a narrow column (Started): the time alone today, else with a short date: "13:03:12", "2 Dec, 13:03:12". */
  formatAbsoluteShort: (date: Date, now: number) => string;
  colLabel: string;
  colKind: string;
  colTarget: string;
  colState: string;
  colProgress: string;
  colActor: string;
  colStarted: string;
  colDuration: string;
  /** Shown in an empty cell. */
  none: string;
  filterState: string;
  allStates: string;
  filterKind: string;
  filterTarget: string;
  sort: string;
  sortCreatedDesc: string;
  sortCreatedAsc: string;
  sortUpdatedDesc: string;
  /** Accessible name of the pagination. */
  pagination: string;
  previousPage: string;
  nextPage: string;
  /** "Page 2". `page` counts from 1. */
  pageNumber: (page: number) => string;
  /** The connection indicator. */
  connection: (state: ConnectionState | 'reconnecting') => string;
  /** Shown, visually only, while a page is being fetched. */
  refreshing: string;
  /** The toggle while live: what pressing it does. */
  pause: string;
  /** The toggle while paused. */
  resume: string;
  /** "3 new jobs": the button that shows jobs held back while paused or scrolled. */
  newJobs: (count: number) => string;
  /** Announced after a filter, sort or page change. */
  showing: (count: number) => string;
  noJobs: string;
  loadFailed: string;
  loadFailedHint: string;
}

const timeFormat = () => cached('time', (lang) => new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }));
const dayTimeFormat = () =>
  cached('day-time', (lang) => new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' }));

/** The defaults of `<job-list>`. */
export const jobListStrings: Readonly<JobListStrings> = Object.freeze({
  ...jobStatusStrings,
  caption: 'Jobs',
  formatAbsoluteShort: (date: Date, now: number) => {
    const today = new Date(now);
    if (date.toDateString() === today.toDateString()) return timeFormat().format(date);
    return date.getFullYear() === today.getFullYear() ? dayTimeFormat().format(date) : absoluteFormat().format(date);
  },
  colLabel: 'Action',
  colKind: 'Kind',
  colTarget: 'Target',
  colState: 'State',
  colProgress: 'Progress',
  colActor: 'Started by',
  colStarted: 'Started',
  colDuration: 'Duration',
  none: '—',
  filterState: 'State',
  allStates: 'All states',
  filterKind: 'Kind',
  filterTarget: 'Target',
  sort: 'Sort',
  sortCreatedDesc: 'Newest first',
  sortCreatedAsc: 'Oldest first',
  sortUpdatedDesc: 'Recently updated',
  pagination: 'Pages',
  previousPage: 'Previous',
  nextPage: 'Next',
  pageNumber: (page: number) => `Page ${page}`,
  connection: (state: ConnectionState | 'reconnecting') =>
    ({ live: 'Live', polling: 'Polling', backoff: 'Reconnecting', reconnecting: 'Reconnecting', paused: 'Paused', offline: 'Offline' })[state],
  refreshing: 'Refreshing…',
  pause: 'Pause live updates',
  resume: 'Resume live updates',
  newJobs: (count: number) => (count === 1 ? '1 new job' : `${count} new jobs`),
  showing: (count: number) => (count === 1 ? 'Showing 1 job' : `Showing ${count} jobs`),
  noJobs: 'No jobs match these filters.',
  loadFailed: 'Could not load the jobs.',
  loadFailedHint: 'It retries by itself. If this persists, check your connection and the job server.',
});
