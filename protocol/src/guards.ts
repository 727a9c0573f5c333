import type { ErrorBody, JobLogEvent } from './wire.js';
import type { JobError, JobLogLine, JobProgress, JobSnapshot } from './snapshot.js';
import { LOG_LEVELS } from './snapshot.js';
import { isJobState } from './states.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isNullableNumber = (v: unknown): v is number | null =>
  v === null || (typeof v === 'number' && Number.isFinite(v));

/** True when `value` has the shape of a {@link JobProgress}. */
export function isJobProgress(value: unknown): value is JobProgress {
  return (
    isObject(value) &&
    isNullableNumber(value.percent) &&
    isNullableNumber(value.current) &&
    isNullableNumber(value.total) &&
    isNullableString(value.unit)
  );
}

/** True when `value` has the shape of a {@link JobError}. */
export function isJobError(value: unknown): value is JobError {
  return (
    isObject(value) &&
    typeof value.code === 'string' &&
    typeof value.message === 'string' &&
    isNullableString(value.hint)
  );
}

/**
 * True when `value` is a well-formed {@link JobSnapshot}. Clients run this on every
 * snapshot they receive, so a proxy's error page or a truncated frame is never shown
 * as a job.
 */
export function isJobSnapshot(value: unknown): value is JobSnapshot {
  return (
    isObject(value) &&
    typeof value.job_id === 'string' &&
    value.job_id.length > 0 &&
    typeof value.kind === 'string' &&
    isNullableString(value.target) &&
    typeof value.label === 'string' &&
    isJobState(value.state) &&
    isNullableString(value.phase) &&
    (value.progress === null || isJobProgress(value.progress)) &&
    isNullableString(value.message) &&
    (value.error === null || isJobError(value.error)) &&
    typeof value.created_at === 'string' &&
    isNullableString(value.started_at) &&
    isNullableString(value.finished_at) &&
    typeof value.updated_at === 'string' &&
    typeof value.seq === 'number' &&
    Number.isSafeInteger(value.seq) &&
    typeof value.has_logs === 'boolean' &&
    isNullableString(value.actor)
  );
}

/** True when `value` is an `{error: {code, message}}` body. */
export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    isObject(value) &&
    isObject(value.error) &&
    typeof value.error.code === 'string' &&
    typeof value.error.message === 'string'
  );
}

/** True when `value` is a well-formed {@link JobLogLine}. */
export function isJobLogLine(value: unknown): value is JobLogLine {
  return (
    isObject(value) &&
    typeof value.seq === 'number' &&
    Number.isSafeInteger(value.seq) &&
    value.seq > 0 &&
    typeof value.ts === 'string' &&
    (LOG_LEVELS as readonly unknown[]).includes(value.level) &&
    typeof value.message === 'string'
  );
}

/**
 * True when `value` is the data of a `job-log` event: clients check it before they append
 * lines, so a garbled frame never shows up in a job's log.
 */
export function isJobLogEvent(value: unknown): value is JobLogEvent {
  return (
    isObject(value) &&
    typeof value.job_id === 'string' &&
    value.job_id.length > 0 &&
    Array.isArray(value.lines) &&
    value.lines.every(isJobLogLine)
  );
}
