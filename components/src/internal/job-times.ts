import type { JobSnapshot } from '@job-status/protocol';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { JobStatusStrings } from './strings.js';
import { timeLeft } from './time-left.js';

/** A `<time>`: relative text, the ISO time in `datetime`, the absolute time on hover. */
export const relativeTime = (iso: string, now: number, strings: JobStatusStrings): TemplateResult => {
  const date = new Date(iso);
  return html`<time datetime=${iso} title=${strings.formatAbsolute(date)}>${strings.formatRelative(date, now)}</time>`;
};

/**
 * The exact time, with the relative one beside it: what an admin copies into a report,
 * readable on a touch screen (where a hover title is out of reach). With `short` (a table
 * column: the list's `formatAbsoluteShort`): a short exact time, the relative one under
 * it, the full date on hover.
 */
export const exactTime = (
  iso: string,
  now: number,
  strings: JobStatusStrings,
  short?: (date: Date, now: number) => string,
): TemplateResult => {
  const date = new Date(iso);
  return short
    ? html`<time datetime=${iso} title=${strings.formatAbsolute(date)}>${short(date, now)}</time>
        <span class="relative">${strings.formatRelative(date, now)}</span>`
    : html`<time datetime=${iso}>${strings.formatAbsolute(date)}</time> <span class="relative">(${strings.formatRelative(date, now)})</span>`;
};

/** "about 40 s left" under a running job's progress, or nothing when there is not enough to go on. */
export const timeLeftText = (snapshot: JobSnapshot, now: number, strings: JobStatusStrings): TemplateResult | typeof nothing => {
  const left = timeLeft(snapshot, now);
  return left === null ? nothing : html`<span part="time-left" class="time-left">${strings.formatTimeLeft(left)}</span>`;
};

/** Milliseconds from start to finish, or to `now` while the job runs; null before it starts. */
export const durationOf = (snapshot: JobSnapshot, now: number): number | null =>
  snapshot.started_at
    ? Math.max(0, (snapshot.finished_at ? Date.parse(snapshot.finished_at) : now) - Date.parse(snapshot.started_at))
    : null;

/** A duration as `<time datetime="PT…S">`, or nothing. */
export const durationTime = (ms: number | null, strings: JobStatusStrings): TemplateResult | typeof nothing =>
  ms === null ? nothing : html`<time datetime="PT${(ms / 1000).toFixed(3)}S">${strings.formatDuration(ms)}</time>`;

/**
 * Queued, started and finished times, and the duration, as a description list. A running
 * job's duration runs to `durationAt` (default `now`): the time of the last update while
 * updates are stale, so it does not tick on as if all were well.
 */
export function jobTimes(snapshot: JobSnapshot, now: number, strings: JobStatusStrings, durationAt = now): TemplateResult {
  const row = (term: string, iso: string | null) =>
    iso ? html`<div><dt>${term}</dt><dd>${relativeTime(iso, now, strings)}</dd></div>` : nothing;
  const duration = durationOf(snapshot, durationAt);
  return html`<dl part="times" class="times">
    ${row(strings.queuedAt, snapshot.created_at)} ${row(strings.startedAt, snapshot.started_at)}
    ${row(strings.finishedAt, snapshot.finished_at)}
    ${duration === null
      ? nothing
      : html`<div><dt>${strings.duration}</dt><dd>${durationTime(duration, strings)}</dd></div>`}
  </dl>`;
}
