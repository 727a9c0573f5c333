import type {
  EnqueueResponse,
  JobListResponse,
  JobLogLine,
  JobLogsResponse,
  JobSnapshot,
  JobState,
  ListSort,
} from '@job-status/protocol';
import type { JobStatusError } from './job-status-error.js';

/**
 * How the client is connected right now.
 *
 * - `live`: the shared event stream is open and delivering.
 * - `polling`: no usable stream (missing, failing, or buffered by a proxy); watched jobs
 *   are fetched every `interval` while the stream is retried in the background.
 * - `backoff`: polls failed three times in a row; waiting 10 s, doubling, at most 2 min.
 * - `paused`: nothing to do: the page is hidden, nothing is watched, or every watched
 *   job has finished. A new client starts here.
 * - `offline`: the browser is offline, the server refused us (401/403; see
 *   {@link JobStatusConnection.error}), or the client was closed.
 */
export type ConnectionState = 'live' | 'polling' | 'backoff' | 'paused' | 'offline';

/**
 * The client's connection, observable. Fires a plain `change` event whenever `state`,
 * `error` or `stale` changes. In a tab that shares another tab's stream (see
 * {@link JobStatusClientOptions.shareAcrossTabs}) it mirrors the group's stream as the
 * leading tab reports it.
 *
 * @example
 * client.connection.addEventListener('change', () => badge.textContent = client.connection.state);
 */
export interface JobStatusConnection extends EventTarget {
  /** The current state. */
  readonly state: ConnectionState;
  /**
   * Why the client is not `live`, when it knows: the last failure (a poll that failed,
   * a stream a proxy buffers, a 401/403 that stopped it). Null while all is well.
   */
  readonly error: JobStatusError | null;
  /**
   * True when what the client shows may be out of date: the stream is down and the last
   * poll failed, or the server is unreachable (`backoff`, `offline` because the browser
   * is offline, or `polling` with an error). False while `live`, after a successful poll,
   * and while `paused` (nothing is being missed then).
   */
  readonly stale: boolean;
  /**
   * `clock.now()` of the last moment the client knew it was up to date: an event or
   * heartbeat on the stream, or a successful poll. Null before the first.
   */
  readonly lastUpdateAt: number | null;
}

/**
 * Timers the client uses. Inject one in tests to drive polling, backoff, debounce and
 * the hidden-page pause without waiting. Defaults to the global timers and `Date.now`.
 */
export interface JobStatusClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`; a handle that already fired is ignored. */
  clearTimeout(handle: unknown): void;
}

/** Options of {@link createJobStatusClient}. Defaults are applied once, at creation. */
export interface JobStatusClientOptions {
  /**
   * Where the middleware is mounted, e.g. `/api/admin/jobs` or an absolute URL.
   * A trailing slash is ignored.
   */
  baseUrl: string;
  /**
   * Polling interval in milliseconds, used only while the stream is unavailable.
   * Default 3000; values outside 2000–60000 are clamped. A longer minimum advertised by
   * the server (`Job-Status-Min-Interval`) wins.
   */
  interval?: number;
  /** The `fetch` to use. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * The `EventSource` constructor. Default: the global one. `null` disables the stream:
   * the client only polls.
   */
  EventSource?: typeof EventSource | null;
  /** Timers and time. Default: the global timers and `Date.now`. */
  clock?: JobStatusClock;
  /**
   * Share one event stream between every tab of this origin and base URL (default true):
   * one tab leads and holds the stream, or polls, for all of them, so many open tabs
   * never exhaust the browser's six HTTP/1.1 connections per host. Without Web Locks or
   * BroadcastChannel, or with `false`, the client works alone. Set `false` for a page
   * whose requests carry credentials other tabs must not share.
   */
  shareAcrossTabs?: boolean;
}

/** Which jobs a {@link JobStatusClient.watchJobs} hears; every field optional, `{}` = every job. */
export interface JobFilter {
  kind?: string;
  target?: string;
  state?: JobState;
}

/**
 * What a watch listener hears.
 *
 * - `snapshot`: the job's newest known state (for `watchScope`, possibly a new job:
 *   compare `job_id`).
 * - `gone`: the job does not exist (any more) or the caller may not see it (a 404, or
 *   absent from a `?ids=` answer). No more updates follow for it.
 * - `empty`: `watchScope` only: no job of that kind and target exists yet.
 * - `error`: the client stopped because the server refused it (401/403), or another
 *   failure that retrying cannot fix. `error.status` tells which.
 */
export type JobUpdate =
  | { type: 'snapshot'; snapshot: JobSnapshot }
  | { type: 'gone'; jobId: string }
  | { type: 'empty' }
  | { type: 'error'; error: JobStatusError };

/**
 * Called with updates, at most once per job per batch (batches are at least 16 ms apart;
 * a microtask while the page is hidden), always in order: an older snapshot never
 * follows a newer one.
 */
export type JobListener = (update: JobUpdate) => void;

/** Which jobs a {@link JobStatusClient.watchScope} follows: the newest of this pair. */
export interface JobScope {
  kind: string;
  /** The target; null or absent means jobs of this kind without a target. */
  target?: string | null;
}

/** Filters of {@link JobStatusClient.list}; all optional. */
export interface JobListQuery {
  state?: JobState;
  kind?: string;
  target?: string;
  /** Page size; the server caps it. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
  /** Default `created_desc`, newest first. */
  sort?: ListSort;
  /** Only these jobs (what polling uses). Unknown or hidden ids are simply absent. */
  ids?: readonly string[];
}

/** Options every request method accepts. */
export interface RequestOptions {
  /** Aborts the request; the promise rejects with a `JobStatusError` of type `aborted`. */
  signal?: AbortSignal;
}

/** Options of {@link JobStatusClient.enqueue}. */
export interface EnqueueOptions extends RequestOptions {
  /** What the job acts on, e.g. a peer name. */
  target?: string | null;
  /** Sent as `Idempotency-Key`: a repeated POST with the same key returns the first job. */
  idempotencyKey?: string;
}

/** Options of {@link JobStatusClient.logs}. */
export interface LogsOptions extends RequestOptions {
  /** At most this many lines; the server caps it. */
  limit?: number;
}

/**
 * The browser side of job-status: one connection per client, however many jobs are
 * watched. Framework-agnostic; the elements are built on it.
 */
export interface JobStatusClient {
  /** The normalised base URL (no trailing slash). */
  readonly baseUrl: string;
  /** The effective polling interval in milliseconds, after clamping. */
  readonly interval: number;
  /** The connection state and its `change` event. */
  readonly connection: JobStatusConnection;
  /**
   * Follows one job. The listener first hears the current snapshot (fetched at once, or
   * from cache), then every change until the job is terminal, `gone`, or unsubscribed.
   * Returns the unsubscribe function; the last unsubscribe closes the stream and clears
   * every timer.
   */
  watch(jobId: string, listener: JobListener): () => void;
  /**
   * Follows the newest job of a kind and target, and switches to the next one when it
   * is created. Hears `empty` while there is none. Returns the unsubscribe function.
   */
  watchScope(scope: JobScope, listener: JobListener): () => void;
  /**
   * Hears the log lines of one job after line `after` over the shared stream, in order,
   * without duplicates, batched (at most one batch per 16 ms). While the stream is not live the client does
   * NOT poll logs: the caller polls {@link logs} itself. Returns the unsubscribe function.
   */
  watchLogs(jobId: string, after: number, listener: (lines: JobLogLine[]) => void): () => void;
  /**
   * Hears every snapshot the shared stream carries that matches `filter` (new jobs
   * included), batched (at most one batch per 16 ms), newest per job. Stream only: while the stream is not
   * live the caller polls {@link list} itself. Returns the unsubscribe function.
   */
  watchJobs(filter: JobFilter, listener: (jobs: JobSnapshot[]) => void): () => void;
  /**
   * Starts a job (`POST /`). Resolves with `{job_id, initial_status}` as soon as the job
   * is queued; watchers of its scope hear it at once.
   */
  enqueue(kind: string, input?: unknown, options?: EnqueueOptions): Promise<EnqueueResponse>;
  /** `GET /:id`. Rejects with a `JobStatusError` (status 404 when unknown). */
  get(jobId: string, options?: RequestOptions): Promise<JobSnapshot>;
  /** `GET /` with filters: history, newest first by default. */
  list(query?: JobListQuery, options?: RequestOptions): Promise<JobListResponse>;
  /** `GET /:id/logs`: lines after `after` (a line `seq`; default 0 = from the start). */
  logs(jobId: string, after?: number, options?: LogsOptions): Promise<JobLogsResponse>;
  /** `POST /:id/cancel`. Resolves with the snapshot; rejects with status 409 when terminal. */
  cancel(jobId: string, options?: RequestOptions): Promise<JobSnapshot>;
  /** The newest snapshot the client holds for a watched job, or undefined. */
  peek(jobId: string): JobSnapshot | undefined;
  /**
   * Stops everything: closes the stream, clears timers, drops listeners. The state
   * becomes `offline`. Request methods still work; watches after close are ignored.
   */
  close(): void;
}

/** The signature of `createJobStatusClient`. */
export type CreateJobStatusClient = (options: JobStatusClientOptions) => JobStatusClient;
