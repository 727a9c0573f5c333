import type { Env, Hono } from 'hono';
import type { JobListResponse, JobLogLine, JobSnapshot } from '@job-status/protocol';
import { memoryBus } from './buses/memory-bus.js';
import { ReadinessCheck } from './health.js';
import type { JobStatusHealth } from './health.js';
import { DEFAULT_LIMITS, checkOptions, jsonLineLogger } from './options.js';
import type { JobStatusLimits, JobStatusOptions, Principal } from './options.js';
import type { JobDefinition } from './registry/definition.js';
import { exponentialBackoff } from './registry/backoff.js';
import { systemClock } from './registry/clock.js';
import { JobRegistry } from './registry/registry.js';
import { StoreHealth } from './registry/store-health.js';
import type { EnqueueOptions } from './registry/registry.js';
import { openApiDocument } from './routes/openapi.js';
import { withOperations } from './routes/operations.js';
import { createRoutes } from './routes/routes.js';
import type { JobStatusEnv } from './routes/routes.js';
import { cursorParam, sortParam } from './routes/validate.js';
import { SseHub } from './sse/hub.js';
import { memoryStore } from './stores/memory-store.js';
import type { ListQuery } from './stores/store.js';
import { measuredStore } from './telemetry/measured-store.js';
import { silentTelemetry } from './telemetry/telemetry.js';

/** How long the readiness probe's store write may take: under the 1 s a Kubernetes probe waits by default. */
const HEALTH_TIMEOUT_MS = 800;

/** What {@link createJobStatus} returns. */
export interface JobStatus<P extends Principal = Principal> {
  /** Declares a kind of job. Throws for a bad name, a duplicate, or bad settings. */
  define<Input>(kind: string, definition: JobDefinition<Input>): void;
  /** Creates a job and returns its queued snapshot at once; the handler runs afterwards. */
  enqueue(kind: string, input?: unknown, options?: EnqueueOptions): Promise<JobSnapshot>;
  /** The newest snapshot of a job, or null when it is unknown or was pruned. */
  get(jobId: string): Promise<JobSnapshot | null>;
  /** A page of history, newest first unless `sort` says otherwise. */
  list(query?: Partial<ListQuery>): Promise<JobListResponse>;
  /**
   * A job's log lines with `seq` greater than `after` (default 0: from the first), oldest
   * first, at most `limit` of them (default `limits.maxLogPageSize`, 1 000). Empty for an
   * unknown job. To read on, pass the last line's `seq` as `after`.
   */
  logs(jobId: string, after?: number, limit?: number): Promise<JobLogLine[]>;
  /** Cancels a busy job; throws a 404 or 409 `JobStatusError` otherwise. */
  cancel(jobId: string, by?: string | null): Promise<JobSnapshot>;
  /** The Hono sub-app of the wire contract. Mount it anywhere: `app.route('/api/admin/jobs', jobs.routes())`. */
  routes(): Hono<JobStatusEnv<P>>;
  /** Open streams on this process. */
  readonly streams: number;
  /**
   * Whether this instance can take jobs: the store is open and takes a write, the bus is
   * connected. For a readiness probe; `GET /health` answers it when `health: true`.
   */
  health(): Promise<JobStatusHealth>;
  /**
   * The OpenAPI 3.1 document of `routes()` (with each defined kind's input schema), for
   * API tooling; `GET /openapi.json` answers it when `openapi: true`.
   */
  openapi(): Promise<object>;
  /**
   * Resolves once the store is open and jobs left by a dead process are recovered. A store
   * that does not open is retried with backoff (routes answer 503 meanwhile); this rejects
   * only when `close()` comes first.
   */
  readonly ready: Promise<void>;
  /** Stops timers, ends streams, waits for running handlers (up to `closeTimeoutMs`), closes the store. */
  close(): Promise<void>;
}

/**
 * Creates the job service: a registry that runs jobs, a store that keeps them, and the
 * routes that let browsers enqueue, stream, poll and read history.
 *
 * `E`, the app's Hono `Env`, types the context `authorize` receives: annotate `c` (or
 * pass both type arguments) and `c.get('user')` keeps the app's type.
 *
 * @example
 * const jobs = createJobStatus({
 *   store: sqliteStore({ path: './data/jobs.db' }),
 *   authorize: (c: Context<AppEnv>) => c.get('user') ?? null,
 * })
 * jobs.define('sync.push', { label: (_input, peer) => `Push to ${peer}`, run: async (ctx) => { ... } })
 * app.route('/api/admin/jobs', jobs.routes())
 */
export function createJobStatus<P extends Principal = Principal, E extends Env = any>(
  options: JobStatusOptions<P, E>,
): JobStatus<P> {
  checkOptions(options);
  const limits: JobStatusLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const minPollIntervalS = options.minPollIntervalS ?? 2;
  const logger = options.logger ?? jsonLineLogger;
  const instanceId = options.instanceId ?? crypto.randomUUID();
  const clock = options.clock ?? systemClock;
  const telemetry = options.telemetry ?? silentTelemetry;
  const store = options.telemetry ? measuredStore(options.store ?? memoryStore(), telemetry) : (options.store ?? memoryStore());
  const bus = options.bus ?? memoryBus();
  const retryMs = options.storeRetry?.initialMs ?? 500;
  const backoff = exponentialBackoff({ initialMs: retryMs, maxMs: options.storeRetry?.maxMs ?? 30_000 });
  // A refused enqueue is told to come back after a few retries' worth of time (1 to 30 s).
  const health = new StoreHealth({ logger, backoff, retryAfterS: Math.min(Math.max((retryMs * 8) / 1000, 1), 30) });
  const registry = new JobRegistry({
    store,
    bus,
    logger,
    retentionMs: options.retentionMs ?? 24 * 60 * 60_000,
    maxEvents: options.maxEvents ?? 10_000,
    maxTextLength: limits.maxTextLength,
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    onSettled: options.onSettled,
    instanceId,
    ownerHeartbeatMs: options.ownerHeartbeatMs ?? 5000,
    health,
    backoff,
    inputBounds: { maxDepth: limits.maxInputDepth, maxBytes: limits.maxInputBytes },
    maxQueuedPerKind: limits.maxQueuedPerKind,
    maxQueuedJobs: limits.maxQueuedJobs,
    maxPendingLogLines: limits.maxPendingLogLines,
    telemetry,
    clock,
  });
  const epoch = registry.ready.then((opened) => opened.epoch);
  epoch.catch(() => undefined);
  // An app that never awaits `ready` must not be taken down when the store cannot open (it is logged).
  const ready = epoch.then(() => undefined);
  ready.catch(() => undefined);
  const hub = new SseHub<P>({
    store,
    bus,
    epoch,
    heartbeatMs,
    maxBufferedBytes: limits.maxBufferedBytes,
    maxReplayBytes: limits.maxReplayBytes,
    maxStreamsPerCaller: limits.maxStreamsPerCaller,
    canSee: options.canSee,
    snapshots: (ids) => registry.getMany(ids),
    logs: (jobId, after, limit) => store.readLogs(jobId, after, limit),
    internal: (error) => logger.error({ err: error instanceof Error ? error.message : String(error) }, 'job-status: a stream could not read the store'),
    telemetry,
  });
  telemetry.observe({ load: () => registry.load(), streams: () => hub.size });
  const readiness = new ReadinessCheck({
    store,
    bus,
    opened: registry.ready,
    instanceId,
    load: () => registry.load().values(),
    streams: () => hub.size,
    logger,
    timeoutMs: HEALTH_TIMEOUT_MS,
  });
  let routes: Hono<JobStatusEnv<P>> | null = null;
  let closing: Promise<void> | null = null;
  const routesApp = (): Hono<JobStatusEnv<P>> =>
    (routes ??= withOperations(
      createRoutes<P>({
        registry,
        health,
        hub,
        epoch,
        authorize: options.authorize,
        canSee: options.canSee,
        limits,
        heartbeatMs,
        minPollIntervalS,
        logger,
        trustedOrigins: options.trustedOrigins,
      }),
      {
        health: options.health ? () => readiness.check() : null,
        openapi: options.openapi ? () => openApiDocument(routesApp(), registry.kinds()) : null,
        authorize: options.authorize,
        telemetry: options.telemetry ?? null,
      },
    ));

  return {
    define: (kind, definition) => registry.define(kind, definition),
    enqueue: (kind, input, enqueueOptions) => registry.enqueue(kind, input, enqueueOptions),
    get: (jobId) => registry.get(jobId),
    list: (query = {}) =>
      registry.listVisible(
        { ...query, sort: sortParam(query.sort), limit: query.limit ?? 20, cursor: cursorParam(query.cursor) },
        () => true,
      ),
    logs: (jobId, after = 0, limit = limits.maxLogPageSize) => registry.logs(jobId, after, limit),
    cancel: (jobId, by) => registry.cancel(jobId, by),
    routes: routesApp,
    openapi: () => openApiDocument(routesApp(), registry.kinds()),
    get streams() {
      return hub.size;
    },
    health: () => readiness.check(),
    ready,
    close: () =>
      (closing ??= (async () => {
        hub.close();
        await registry.close();
        await bus.close();
        telemetry.close();
      })()),
  };
}

export { memoryStore } from './stores/memory-store.js';
export { memoryBus } from './buses/memory-bus.js';
export { JobStatusError, JobFailure, JobAbortedError } from './errors.js';
export type { JobAbortReason } from './errors.js';
export type { JobStatusClock } from './registry/clock.js';
export { DEFAULT_LIMITS } from './options.js';
export { encodeFrame } from './sse/frame.js';
export { silentTelemetry } from './telemetry/telemetry.js';
export type { SseFrame } from './sse/frame.js';
export type { JobStatusHealth } from './health.js';
export type { OpenApiDocument } from './routes/openapi.js';
export type { JobStatusTelemetry, TelemetrySources, WorkerJob } from './telemetry/telemetry.js';
export type {
  AuthorizeHook,
  JobStatusLimits,
  JobStatusLogger,
  JobStatusOptions,
  Principal,
} from './options.js';
export type { JobContext, JobDefinition, JobOutcome, ProgressUpdate, StandardSchema } from './registry/definition.js';
export type { EnqueueOptions } from './registry/registry.js';
export type { JobStatusEnv } from './routes/routes.js';
export type { TrustedOrigins } from './routes/origin.js';
export type { JobBus, BusMessage } from './buses/bus.js';
export type {
  JobStore,
  ListPage,
  ListQuery,
  PruneOptions,
  SaveOptions,
  StoredEvent,
  StoredJob,
  UnnumberedJob,
} from './stores/store.js';
