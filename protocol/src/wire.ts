import type { JobLogLine, JobSnapshot } from './snapshot.js';

/** Answer of `POST /`: the job exists and is queued; the work runs after the response. */
export interface EnqueueResponse {
  job_id: string;
  initial_status: JobSnapshot;
}

/** Answer of `GET /` and `GET /?ids=`. `next_cursor` is null on the last page. */
export interface JobListResponse {
  jobs: JobSnapshot[];
  next_cursor: string | null;
}

/** Answer of `GET /:id/logs`. Pass `next_after` as `after` to read only newer lines. */
export interface JobLogsResponse {
  lines: JobLogLine[];
  next_after: number;
}

/** One entry of `GET /kinds`: an action the app has defined. */
export interface JobKindInfo {
  kind: string;
  label: string;
  /** JSON Schema of the input, when the kind validates one; otherwise null. */
  input: unknown;
}

/** Answer of `GET /kinds`. */
export interface JobKindsResponse {
  kinds: JobKindInfo[];
}

/** Sort orders `GET /` accepts. */
export const LIST_SORTS = Object.freeze(['created_desc', 'created_asc', 'updated_desc'] as const);
export type ListSort = (typeof LIST_SORTS)[number];

/** Every error answer of every route. `code` is stable; `message` names the field at fault. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
  };
}

/** Names of the events on the SSE stream. */
export const JobEvent = Object.freeze({
  /** `data:` is a {@link JobSnapshot}; `id:` is an event id. */
  update: 'job-update',
  /** The resume point could not be replayed: drop local state; the current snapshots follow. */
  resync: 'resync',
  /**
   * Sent once the replay or the opening snapshots are out; its `id:` is the stream's
   * position in the event log, so even a stream that carried nothing else resumes there.
   */
  ready: 'ready',
  /** Keep-alive; carries no `id:`, so it never moves the resume point. */
  heartbeat: 'heartbeat',
  /**
   * `data:` is a {@link JobLogEvent}: log lines of a job the stream asked for with
   * {@link LOG_PARAM}. No `id:`: lines resume by their own `seq` (`log=<job>:<seq>`).
   */
  log: 'job-log',
} as const);
export type JobEvent = (typeof JobEvent)[keyof typeof JobEvent];

/**
 * `data:` of a `job-log` event: new lines of one job, in `seq` order, without gaps or
 * repeats within one stream.
 */
export interface JobLogEvent {
  job_id: string;
  lines: JobLogLine[];
}

/**
 * Stream query parameter that asks for a job's log lines: `log=<jobId>` (every line) or
 * `log=<jobId>:<after>` (lines with `seq > after`, to resume). Implies `job=<jobId>`.
 */
export const LOG_PARAM = 'log';

/** Header that carries the client's resume point, as EventSource sends it. */
export const LAST_EVENT_ID_HEADER = 'Last-Event-ID';
/** Query parameter for clients that cannot set {@link LAST_EVENT_ID_HEADER}. */
export const LAST_EVENT_ID_PARAM = 'last_event_id';
/**
 * Response header by which the server advertises the shortest polling interval it
 * wants, in seconds. A client never polls faster than this.
 */
export const MIN_POLL_INTERVAL_HEADER = 'Job-Status-Min-Interval';
/**
 * Response header by which the server advertises how many ids one request may name
 * (`GET /?ids=`, and `job=`/`log=` of one stream): its `limits.maxIds`. A client that reads
 * it splits its polls into requests of at most that many ids.
 */
export const MAX_IDS_HEADER = 'Job-Status-Max-Ids';
/** How many ids one request may name until the server says otherwise ({@link MAX_IDS_HEADER}): the server's default `limits.maxIds`. */
export const DEFAULT_MAX_IDS = 100;
/** Response header on a stream: the heartbeat interval in milliseconds. */
export const HEARTBEAT_HEADER = 'Job-Status-Heartbeat';
/** Request header that makes a repeated `POST /` return the first job instead of a new one. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * Position in the registry's event log. `epoch` names one life of the log: when a log is
 * reset, its epoch changes, and an id from an older epoch can no longer be replayed.
 */
export interface EventId {
  epoch: string;
  seq: number;
}

const EVENT_ID = /^([A-Za-z0-9_]{1,64})-(\d{1,15})$/;

/** Formats an event id as `<epoch>-<seq>`. */
export function formatEventId(id: EventId): string {
  return `${id.epoch}-${id.seq}`;
}

/** Parses `<epoch>-<seq>`; null for anything else (including a seq beyond 2^53). */
export function parseEventId(text: string | null | undefined): EventId | null {
  if (!text) return null;
  const match = EVENT_ID.exec(text.trim());
  if (!match) return null;
  const seq = Number(match[2]);
  if (!Number.isSafeInteger(seq)) return null;
  return { epoch: match[1]!, seq };
}
