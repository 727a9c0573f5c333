import type { Context, Env } from 'hono';
import type { JobSnapshot } from '@job-status/protocol';
import { DEFAULT_MAX_IDS } from '@job-status/protocol';
import type { JobBus } from './buses/bus.js';
import type { BackoffOptions } from './registry/backoff.js';
import type { JobStatusClock } from './registry/clock.js';
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

/**
 * The bounds that keep one job service safe from a flood, a slow reader or a hostile
 * input: each caps what one request, one stream, one caller or the whole queue may take,
 * and what passes it gets a 4xx or 503 answer (never a 500), or is cut off and resumes.
 * Give any subset as `limits` in {@link JobStatusOptions}; the rest keep
 * {@link DEFAULT_LIMITS}. Every limit is a whole number from 1.
 */
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

/**
 * How a job service is built: who may use it (`authorize`, `canSee`, `trustedOrigins`),
 * where jobs live (`store`, `bus`), how long they are kept, and its limits. Only
 * `authorize` is required; every other option has the default it documents. Every option
 * given is checked when `createJobStatus` runs, which throws a `TypeError` (message
 * prefixed `job-status:`) naming a bad one.
 *
 * `P` is the principal `authorize` returns; `E` is the Hono `Env` of the app that mounts
 * the routes, so `authorize` sees its variables with their types.
 *
 * @example
 * createJobStatus({
 *   store: sqliteStore({ path: './data/jobs.db' }),
 *   authorize: (c) => c.get('user') ?? null,
 *   canSee: (user, job) => user.admin || job.actor === user.name,
 *   retentionMs: 7 * 24 * 60 * 60_000,
 *   limits: { maxStreamsPerCaller: 4 },
 * })
 */
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
  /** Shortest polling interval clients should use, in seconds (advertised on GET answers as `Job-Status-Min-Interval`). Default 2. */
  minPollIntervalS?: number;
  /** How long `close()` waits for running handlers, in milliseconds. Default 10 000. */
  closeTimeoutMs?: number;
  /**
   * Where the registry reads the time and plans its waits: owner heartbeats and the lapse
   * after which a silent owner's jobs are recovered, `timeoutMs` of handlers,
   * `closeTimeoutMs`, retention rounds, and the times written on jobs and log lines. The
   * same shape as the client's `clock`. Default: `Date.now` and the global timers. Tests
   * pass a clock they move by hand instead of sleeping; stores keep their own time (a
   * heartbeat's age is judged by the store).
   *
   * @example
   * // In a test: any object with these three methods, moved by hand.
   * const jobs = createJobStatus({ authorize, clock: testClock })
   */
  clock?: JobStatusClock;
  /** The limits to change; the others keep {@link DEFAULT_LIMITS}. An unknown name throws. */
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

/**
 * The limits a job service has unless its `limits` option changes them (frozen; each is
 * documented on {@link JobStatusLimits}). Read it to derive a limit from its default.
 *
 * @example
 * createJobStatus({ authorize, limits: { maxBodyBytes: 4 * DEFAULT_LIMITS.maxBodyBytes } })
 */
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

const STORE_METHODS = [
  'open', 'save', 'get', 'getMany', 'findByIdempotencyKey', 'list', 'listBusy', 'appendLog', 'readLogs',
  'head', 'readEvents', 'prune', 'beat', 'release', 'liveOwners', 'claim', 'close',
] as const satisfies ReadonlyArray<keyof JobStore>;
const BUS_METHODS = ['publish', 'subscribe', 'close'] as const satisfies ReadonlyArray<keyof JobBus>;
const CLOCK_METHODS = ['now', 'setTimeout', 'clearTimeout'] as const satisfies ReadonlyArray<keyof JobStatusClock>;
const TELEMETRY_METHODS = ['observe', 'jobEnqueued', 'jobStarted', 'jobChanged', 'jobSettled', 'runJob'] as const satisfies ReadonlyArray<
  keyof JobStatusTelemetry
>;
const POSITIVE_NUMBERS = ['retentionMs', 'maxEvents', 'heartbeatMs', 'minPollIntervalS', 'closeTimeoutMs', 'ownerHeartbeatMs'] as const;

/**
 * Checks every option `createJobStatus` was given, so that a bad one fails at construction
 * with a TypeError naming it, rather than later (or never) in a route or a timer. Options
 * left out are fine: their defaults apply.
 */
export function checkOptions(options: JobStatusOptions<any, any>): void {
  const fail = (message: string) => {
    throw new TypeError(`job-status: ${message}`);
  };
  if (!options || typeof options !== 'object' || typeof options.authorize !== 'function') {
    fail('`authorize` is required; no route answers without it (return a principal, null for 401 or false for 403)');
  }
  const object = (value: unknown) => typeof value === 'object' && value !== null;
  const positive = (value: unknown, name: string) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) fail(`${name} must be a positive number`);
  };
  const methods = (value: unknown, name: string, kind: string, names: readonly string[]) => {
    if (value === undefined) return;
    if (!object(value)) fail(`${name} must be a ${kind}`);
    const missing = names.find((method) => typeof (value as Record<string, unknown>)[method] !== 'function');
    if (missing) fail(`${name} must be a ${kind}: it has no \`${missing}\` method`);
  };
  for (const name of POSITIVE_NUMBERS) positive(options[name], name);
  if (options.storeRetry !== undefined) {
    if (!object(options.storeRetry)) fail('storeRetry must be an object: {initialMs, maxMs}');
    positive(options.storeRetry.initialMs, 'storeRetry.initialMs');
    positive(options.storeRetry.maxMs, 'storeRetry.maxMs');
  }
  if (options.limits !== undefined) {
    if (!object(options.limits)) fail('limits must be an object of the limits to change');
    for (const [key, value] of Object.entries(options.limits)) {
      if (!(key in DEFAULT_LIMITS)) fail(`limits has no \`${key}\`; the limits are ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
      if (!Number.isInteger(value) || (value as number) < 1) fail(`limits.${key} must be a whole number from 1`);
    }
  }
  for (const name of ['canSee', 'onSettled'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(`${name} must be a function`);
  }
  const origins = options.trustedOrigins;
  if (origins !== undefined && typeof origins !== 'function' && !(Array.isArray(origins) && origins.every((origin) => typeof origin === 'string'))) {
    fail('trustedOrigins must be a list of origins or a function (origin, c) => boolean');
  }
  methods(options.store, 'store', 'JobStore', STORE_METHODS);
  methods(options.bus, 'bus', 'JobBus', BUS_METHODS);
  methods(options.telemetry, 'telemetry', 'JobStatusTelemetry', TELEMETRY_METHODS);
  methods(options.clock, 'clock', 'JobStatusClock ({now, setTimeout, clearTimeout})', CLOCK_METHODS);
  const logger = options.logger;
  if (logger !== undefined && (!object(logger) || typeof logger.info !== 'function' || typeof logger.error !== 'function')) {
    fail('logger must have `info` and `error` methods (pino, or {info, error})');
  }
  for (const name of ['health', 'openapi'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') fail(`${name} must be true or false`);
  }
  const id = options.instanceId;
  if (id !== undefined && (typeof id !== 'string' || !id || id.length > 200)) {
    fail('instanceId must be text of 1 to 200 characters, unique among the processes that share a store');
  }
}
