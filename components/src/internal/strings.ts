import type { JobStatusError } from '../client/job-status-error.js';

/**
 * Every user-facing text of `<job-status>` (and the parts of it that `<job-trigger>`,
 * `<job-list>` and `<job-detail>` share). Set any subset through an element's `strings`
 * property; the rest keep their defaults. Functions receive the values to put in.
 *
 * @example
 * tile.strings = { failed: 'Échec', viewDetails: 'Voir le détail' };
 */
export interface JobStatusStrings {
  /** Badge text of a tile with no job of its kind and target yet. */
  idle: string;
  queued: string;
  running: string;
  success: string;
  warning: string;
  failed: string;
  canceled: string;
  /** Badge text of a job that was deleted or expired. */
  gone: string;
  /** Badge text when the server refused the client (401, 403). */
  unavailable: string;
  /** Shown while the first answer is awaited. */
  loading: string;
  /** Shown when no job of the tile's kind and target exists (`empty-message` overrides it). */
  empty: string;
  /** The message of a job that was deleted or expired (a 404). */
  goneMessage: string;
  goneHint: string;
  /** What to do when the server refused the client (401, 403, or another lasting failure). */
  unavailableHint: (error: JobStatusError) => string;
  /** Prefix of an error's hint. */
  nextStep: string;
  /** Accessible name of the progress bar. */
  progress: string;
  /** "25 of 100 files". `unit` may be null. */
  progressCount: (current: number, total: number, unit: string | null) => string;
  /** "25 files", when the total is not known. */
  progressCurrent: (current: number, unit: string | null) => string;
  /** "25%". */
  percent: (percent: number) => string;
  queuedAt: string;
  startedAt: string;
  finishedAt: string;
  duration: string;
  /** A span of milliseconds: "1 min 5 s". */
  formatDuration: (ms: number) => string;
  /** A time relative to `now` (ms since the epoch): "3 minutes ago". */
  formatRelative: (date: Date, now: number) => string;
  /** The absolute time shown on hover, and in full where an admin reports from: "25 Nov 2025, 10:45:03". */
  formatAbsolute: (date: Date) => string;
  /**
   * The estimate of a running job's time left, in milliseconds: "about 40 s left". Shown
   * only when there is enough to go on (see `docs/elements.md`, "Time left").
   */
  formatTimeLeft: (ms: number) => string;
  /** The link to the job's detail view, shown when the job has logs. */
  viewDetails: string;
  /** What the polite live region says when the state changes. `detail` is the error or message. */
  announce: (label: string, state: string, detail: string | null) => string;
  /** Shown while updates cannot be had (stream down and polls failing, or the server unreachable). */
  reconnecting: string;
  /** Before the time of the last update, while reconnecting: "Last update 2 minutes ago". */
  lastUpdate: string;
  /** While reconnecting, when no update ever arrived. */
  noUpdateYet: string;
}

const locale = () => globalThis.document?.documentElement.lang || undefined;

/**
 * One formatter per locale and kind: building an `Intl` formatter costs far more than
 * using one, and a page of running tiles formats times on every tick.
 */
const formatters = new Map<string, Intl.RelativeTimeFormat | Intl.DateTimeFormat | Intl.NumberFormat>();
export function cached<T extends Intl.RelativeTimeFormat | Intl.DateTimeFormat | Intl.NumberFormat>(kind: string, make: (locale?: string) => T): T {
  const lang = locale();
  const key = `${kind}:${lang ?? ''}`;
  let formatter = formatters.get(key) as T | undefined;
  if (!formatter) formatters.set(key, (formatter = make(lang)));
  return formatter;
}
/** A number as the page's language writes it: "1,234". */
const num = (n: number) => cached('number', (lang) => new Intl.NumberFormat(lang)).format(n);
const relativeFormat = () => cached('relative', (lang) => new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }));
export const absoluteFormat = () => cached('absolute', (lang) => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' }));
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** The defaults: short, specific, and on failure they say what to do next. */
export const jobStatusStrings: Readonly<JobStatusStrings> = Object.freeze({
  idle: 'Idle',
  queued: 'Queued',
  running: 'Running',
  success: 'Succeeded',
  warning: 'Finished with warnings',
  failed: 'Failed',
  canceled: 'Canceled',
  gone: 'Not found',
  unavailable: 'Unavailable',
  loading: 'Loading status…',
  empty: 'Not run yet.',
  goneMessage: 'Job no longer exists',
  goneHint: 'Old jobs are removed from history. Start the action again for a fresh result.',
  unavailableHint: (error: JobStatusError) =>
    error.status === 401
      ? 'Your session has ended. Sign in again, then reload the page.'
      : error.status === 403
        ? 'You may not see these jobs. Ask an administrator for access.'
        : 'Reload the page. If this persists, check that the job server is running.',
  nextStep: 'Next step:',
  progress: 'Progress',
  progressCount: (current: number, total: number, unit: string | null) =>
    `${num(current)} of ${num(total)}${unit ? ` ${unit}` : ''}`,
  progressCurrent: (current: number, unit: string | null) => `${num(current)} ${unit ?? 'done'}`,
  percent: (percent: number) => `${Math.floor(percent)}%`,
  queuedAt: 'Queued',
  startedAt: 'Started',
  finishedAt: 'Finished',
  duration: 'Duration',
  formatDuration: (ms: number) => {
    if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
    const s = Math.floor(ms / 1000);
    const [h, m] = [Math.floor(s / 3600), Math.floor(s / 60) % 60];
    return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
  },
  formatRelative: (date: Date, now: number) => {
    const format = relativeFormat();
    let value = (date.getTime() - now) / 1000;
    if (Math.abs(value) < 10) return format.format(0, 'second');
    let i = 0;
    while (Math.abs(value) >= UNITS[i]![1]) value /= UNITS[i++]![1];
    return format.format(Math.round(value), UNITS[i]![0]);
  },
  formatAbsolute: (date: Date) => absoluteFormat().format(date),
  formatTimeLeft: (ms: number) => {
    const s = ms / 1000;
    if (s < 10) return 'a few seconds left';
    // Coarse steps: an estimate that ticks every second claims a precision it does not have.
    if (s < 60) return `about ${Math.ceil(s / 5) * 5} s left`;
    const min = Math.round(s / 60);
    return min < 60 ? `about ${min} min left` : `about ${Math.floor(min / 60)} h ${min % 60} min left`;
  },
  viewDetails: 'View details',
  announce: (label: string, state: string, detail: string | null) =>
    `${label ? `${label}: ` : ''}${state}${detail ? `. ${detail}` : ''}`,
  reconnecting: 'Reconnecting…',
  lastUpdate: 'Last update',
  noUpdateYet: 'No update received yet.',
});
