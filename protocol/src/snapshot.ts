import type { JobState } from './states.js';

/**
 * How far a job has got. `percent` alone gives a determinate bar; `current` and `total`
 * (with a `unit` such as "files") give "25 of 100 files". All `null` fields mean
 * "not known"; a `null` progress on a snapshot means no progress was ever reported,
 * and an element shows an indeterminate bar.
 */
export interface JobProgress {
  /** 0..100, or null when only a count is known. */
  percent: number | null;
  current: number | null;
  total: number | null;
  /** What is counted, plural, e.g. "files". */
  unit: string | null;
}

/**
 * Why a job failed. `code` is for machines (`timeout`, `interrupted`, `canceled`,
 * or one the handler chose), `message` for people, and `hint` says what the admin can
 * do next, or is null when there is nothing useful to say.
 */
export interface JobError {
  code: string;
  message: string;
  hint: string | null;
}

/**
 * Everything a client knows about one job at one moment. Field names are snake_case
 * on the wire; times are ISO 8601 UTC strings with milliseconds.
 */
export interface JobSnapshot {
  /** UUID v4. */
  job_id: string;
  /** The action, e.g. "sync.push". */
  kind: string;
  /** What the job acts on, e.g. a peer name; null when the kind has no target. */
  target: string | null;
  /** Human name of the action ("Push to peer-a"). */
  label: string;
  state: JobState;
  /** The current step in words ("Uploading records"), or null. */
  phase: string | null;
  progress: JobProgress | null;
  /** Human-readable summary; on a terminal state, the outcome. */
  message: string | null;
  error: JobError | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  /** The job's last event number, monotonic across the whole registry. */
  seq: number;
  has_logs: boolean;
  /** Who triggered it, or null for system jobs. */
  actor: string | null;
  /** JSON data the handler returned as its `result`, on a finished job; absent otherwise. */
  result?: unknown;
  /**
   * On a queued or running job: the median duration in milliseconds of the newest
   * successful runs of the same kind and target (at least 3 of them). Absent when the
   * history has too few, on finished jobs, and on snapshots replayed from the event log.
   * Elements use it to estimate the time left.
   */
  typical_duration_ms?: number;
}

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The log levels, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error']);

/** One line of a job's log. `seq` orders the lines of one job. */
export interface JobLogLine {
  seq: number;
  ts: string;
  level: LogLevel;
  message: string;
}

/** What a new job is made of; every other field of a queued snapshot is still empty. */
export interface QueuedJob {
  job_id: string;
  kind: string;
  target: string | null;
  label: string;
  /** When it was queued (ISO 8601 UTC); also its `updated_at`. */
  created_at: string;
  seq: number;
  actor: string | null;
}

/**
 * The snapshot of a job that was just queued: state `queued`, no phase, progress,
 * message or error yet, not started, no logs. The server makes one for every new job, and
 * a client may show one at once, before the server has answered (`<job-trigger>` does, with
 * an empty `job_id` and `seq: -1`).
 *
 * @example
 * queuedSnapshot({ job_id: id, kind: 'sync.push', target: 'peer-a', label: 'Push to peer-a',
 *   created_at: new Date().toISOString(), seq: 0, actor: 'ada' })
 */
export function queuedSnapshot(job: QueuedJob): JobSnapshot {
  return {
    job_id: job.job_id,
    kind: job.kind,
    target: job.target,
    label: job.label,
    state: 'queued',
    phase: null,
    progress: null,
    message: null,
    error: null,
    created_at: job.created_at,
    started_at: null,
    finished_at: null,
    updated_at: job.created_at,
    seq: job.seq,
    has_logs: false,
    actor: job.actor,
  };
}
