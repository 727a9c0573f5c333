import type { Context, Env } from 'hono';
import type { JobSnapshot } from '@job-status/protocol';
import { DEFAULT_MAX_IDS } from '@job-status/protocol';
import type { JobBus } from './buses/bus.js';
import type { BackoffOptions } from './registry/backoff.js';
import type { TrustedOrigins } from './routes/origin.js';
import type { JobStore } from './stores/store.js';
import type { JobStatusTelemetry } from './telemetry/telemetry.js';

/** Who is calling. `id` keys the per-caller stream limit and idempotency keys. */
export interface Principal {
  id: string;
  /** Recorded as the job's `actor`; defaults to `id`. */
  name?: string;
  [key: string]: unknown;
}

/**
 * Decides who may use the routes. Return the caller's principal to allow, `null` when
 * there is no identity (401), or `false` when there is one that is not allowed (403).
 * `c` is the app's own context: with the app's Hono `Env` as `E`, `c.get('user')` keeps its
 * type. `E` defaults to `any`, as Hono's `Context` does.
 */
export type AuthorizeHook<P extends Principal = Principal, E extends Env = any> = (
  c: Context<E>,
) => P | null | false | Promise<P | null | false>;

/** pino-compatible: `logger.info(object, message)`. */
export interface JobStatusLogger {
  info(record: object, message?: string): void;
  error(record: object, message?: string): void;
}

export interface JobStatusLimits {
  /** Open streams one principal may hold; the next gets 429. Default 8. */
  maxStreamsPerCaller: number;
  /** Unsent bytes after which a slow stream is closed (it resumes on reconnect). Default 1 MiB. */
  maxBufferedBytes: number;
  /**
   * Bytes that all streams catching up from the store (replays, log backlogs) may leave
   * waiting for their readers together; a resume past what this allows gets `resync` and
   * snapshots instead of a replay. Default 32 MiB (2 048 readers that never read).
   */
  maxReplayBytes: number;
  /** Largest `POST /` body in bytes; a larger one gets 413. Default 64 KiB. */
  maxBodyBytes: number;
  /**
   * Ids in one `GET /?ids=` or one stream's `job=` filters. Default 100. Answers to `GET /`
   * advertise it (`Job-Status-Max-Ids`), and the browser client splits its polls to fit.
   */
  maxIds: number;
  /** Largest `limit` of `GET /` and `GET /:id/logs`. Default 100 and 1000. */
  maxPageSize: number;
  maxLogPageSize: number;
  /** Characters kept of one log line, phase or message. Default 4096. */
  maxTextLength: number;
  /** Levels of nested arrays and objects in a job's input (and result); deeper gets 400 `input_too_deep`. Default 32. */
  maxInputDepth: number;
  /** Bytes of a job's input (and result) as JSON; more gets 413 `input_too_large`. Default 64 KiB. */
  maxInputBytes: number;
  /** Jobs of one kind waiting to start; the next enqueue gets 503 `queue_full` with `Retry-After`. Default 500. */
  maxQueuedPerKind: number;
  /** Jobs waiting to start, all kinds together; the next enqueue gets 503 `queue_full`. Default 2 000. */
  maxQueuedJobs: number;
  /** Enqueues one caller may make at once through `POST /`; then 429 `rate_limited` with `Retry-After`. Default 100. */
  enqueueBurst: number;
  /** Enqueues per minute one caller gets back after a burst. Default 600. */
  enqueuesPerMinute: number;
  /** Log lines of one job that may wait while the store cannot write; more are counted as lost on the job. Default 1 000. */
  maxPendingLogLines: number;
}

/** `E` is the Hono `Env` of the app that mounts the routes; `authorize` sees its variables. */
export interface JobStatusOptions<P extends Principal = Principal, E extends Env = any> {
  /** Required: no route answers without it. */
  authorize: AuthorizeHook<P, E>;
  /** Which jobs a principal may see: filters history, polls, logs and streams. Default: all. */
  canSee?: (principal: P, job: JobSnapshot) => boolean;
  /**
   * Other origins allowed to start and cancel jobs (a list of `https://admin.example.com`
   * style origins, or a function). Default: this host only; browsers on other sites get 403.
   */
  trustedOrigins?: TrustedOrigins;
  /** Default `memoryStore()`. */
  store?: JobStore;
  /** Default `memoryBus()`. */
  bus?: JobBus;
  /** Terminal jobs older than this many milliseconds are pruned with their logs. Default 24 h. */
  retentionMs?: number;
  /** The event log keeps at most this many events. Default 10 000. */
  maxEvents?: number;
  /** Heartbeat interval of streams in milliseconds. Default 15 000. */
  heartbeatMs?: number;
  /** Shortest polling interval clients should use, in seconds (advertised on GET answers). Default 2. */
  minPollIntervalS?: number;
  /** How long `close()` waits for running handlers, in milliseconds. Default 10 000. */
  closeTimeoutMs?: number;
  limits?: Partial<JobStatusLimits>;
  /** Where completion records and internal errors go. Default: one JSON line on stdout/stderr. */
  logger?: JobStatusLogger;
  /** Called once for every job that settles, after its terminal state is stored. */
  onSettled?: (snapshot: JobSnapshot) => void | Promise<void>;
  /**
   * This process's owner id: the jobs it runs carry it, and its heartbeats in the store keep
   * other instances from recovering them. Must be unique among live processes sharing a
   * store. A stable id (a pod or host name) lets a restarted instance recover the jobs its
   * previous life left at once, instead of after the heartbeat lapses. Default: random.
   */
  instanceId?: string;
  /**
   * How often this process writes its heartbeat to the store, in milliseconds. Another
   * instance recovers this one's busy jobs after 3 missed beats. Default 5 000.
   */
  ownerHeartbeatMs?: number;
  /**
   * Waits between tries when the store fails: opening it at start, and each write of a
   * running job (kept in order and retried until it goes through). Doubles from
   * `initialMs` (default 500) up to `maxMs` (default 30 000). While the store is down or
   * not open, `POST /` answers 503 with `Retry-After`.
   */
  storeRetry?: BackoffOptions;
  /**
   * Serve `GET /health` (relative to the mount) without `authorize`: 200 or 503 with
   * `jobs.health()`, for a readiness probe. Protect or expose the path with the app's own
   * middleware. Default false.
   */
  health?: boolean;
  /**
   * Serve `GET /openapi.json` (relative to the mount): the OpenAPI 3.1 document of these
   * routes with each kind's input schema, for callers `authorize` accepts. Default false.
   */
  openapi?: boolean;
  /**
   * Where metrics and spans go: `openTelemetry()` from `@job-status/hono/opentelemetry`.
   * Default: nowhere, at no cost.
   */
  telemetry?: JobStatusTelemetry;
}

export const DEFAULT_LIMITS: Readonly<JobStatusLimits> = Object.freeze({
  maxStreamsPerCaller: 8,
  maxBufferedBytes: 1024 * 1024,
  maxReplayBytes: 32 * 1024 * 1024,
  maxBodyBytes: 64 * 1024,
  maxIds: DEFAULT_MAX_IDS,
  maxPageSize: 100,
  maxLogPageSize: 1000,
  maxTextLength: 4096,
  maxInputDepth: 32,
  maxInputBytes: 64 * 1024,
  maxQueuedPerKind: 500,
  maxQueuedJobs: 2000,
  enqueueBurst: 100,
  enqueuesPerMinute: 600,
  maxPendingLogLines: 1000,
});

/** One JSON line per record: what a log collector expects from a server. */
export const jsonLineLogger: JobStatusLogger = {
  info: (record, message) => console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: message, ...record })),
  error: (record, message) => console.error(JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: message, ...record })),
};
