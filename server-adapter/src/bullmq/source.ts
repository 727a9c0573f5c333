import { Queue, QueueEvents, QueueEventsProducer } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import { jsonLineLogger } from '../options.js';
import type { JobStatusLogger } from '../options.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import type { JobContext, JobDefinition, JobOutcome } from '../registry/definition.js';
import { connectionOptions, queueName } from './connection.js';
import type { RedisConnection } from './connection.js';
import { Follower } from './follower.js';
import { CANCEL_EVENT } from './report.js';
import type { JobData, WorkerResult } from './report.js';

/** The custom event a source sends itself to know its event reader is live. */
const HELLO_EVENT = 'job-status:hello';

/**
 * One kind that runs on BullMQ workers: what the app needs to enqueue it (label, input
 * schema, timeout), and the BullMQ options its jobs get. The handler lives in the worker
 * (`createWorker`).
 */
export interface BullmqKind<Input = any> extends Pick<JobDefinition<Input>, 'label' | 'input' | 'timeoutMs'> {
  /**
   * BullMQ options of this kind's jobs, over the source's `jobOptions`: `attempts` and
   * `backoff` make BullMQ retry a failed job; `priority`, `delay` and so on work as in
   * BullMQ. `jobId` is always the job-status job id.
   */
  jobOptions?: Omit<JobsOptions, 'jobId'>;
}

export interface BullmqSourceOptions {
  /** The BullMQ queue to put jobs on; workers made with `createWorker` take them from it. */
  queue: string;
  /** A Redis URL, or BullMQ connection options. */
  connection: RedisConnection;
  /** The kinds whose jobs run on the queue's workers. */
  kinds: Record<string, BullmqKind>;
  /** BullMQ's key prefix. Default `bull`. */
  prefix?: string;
  /**
   * BullMQ options for every kind. Default: one attempt; finished jobs kept in BullMQ for
   * 1 h (completed) and 24 h (failed): job-status keeps the history itself.
   */
  jobOptions?: Omit<JobsOptions, 'jobId'>;
  /**
   * How often a followed job is also read from BullMQ directly, in milliseconds, in case
   * an event was lost (events are kept in a capped stream). Default 30 000.
   */
  reconcileMs?: number;
  /** Where connection errors go. Default: JSON lines. */
  logger?: JobStatusLogger;
  /**
   * The job service's telemetry (the same object): each job carries its span's trace
   * context to the worker, whose span continues the trace.
   */
  telemetry?: JobStatusTelemetry;
}

/** What `bullmqSource` returns. */
export interface BullmqSource {
  /**
   * Defines each kind on the job service. A job of such a kind is created `queued` as
   * usual; it is then handed to BullMQ (phase "Waiting for a worker") and followed until
   * a worker finishes it. Another instance takes over the following if this one stops.
   */
  attach(jobs: { define<Input>(kind: string, definition: JobDefinition<Input>): void }): void;
  /** Resolves once the queue and its event reader are connected. */
  readonly ready: Promise<void>;
  /** Closes the queue connections. Close the job service first. */
  close(): Promise<void>;
}

const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { age: 60 * 60 },
  removeOnFail: { age: 24 * 60 * 60 },
};

/**
 * Runs jobs on a BullMQ queue instead of in the app's process. `jobs.enqueue` (and
 * `POST /`) work as for any kind; the job goes onto the queue with its job-status id as
 * BullMQ job id, a worker on any machine runs it (see `createWorker`), and this instance
 * follows it through `QueueEvents`: every phase, progress, log line and warning, each
 * retry (as a phase such as "Attempt 1 of 3 failed: …. Retrying in 5 s."), and the final
 * outcome with the worker's error code and hint. Browsers see it like any other job.
 *
 * @example
 * import { bullmqSource } from '@job-status/hono/bullmq'
 * const reports = bullmqSource({
 *   queue: 'admin-jobs',
 *   connection: process.env.REDIS_URL,
 *   kinds: { 'report.build': { label: 'Build the monthly report', jobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 5000 } } } },
 * })
 * reports.attach(jobs)
 */
export function bullmqSource(options: BullmqSourceOptions): BullmqSource {
  const who = 'bullmqSource';
  const name = queueName(options?.queue, who);
  const connection = connectionOptions(options.connection, who);
  if (!options.kinds || typeof options.kinds !== 'object' || !Object.keys(options.kinds).length) {
    throw new TypeError('job-status: bullmqSource needs `kinds`: the kinds whose jobs run on the queue');
  }
  const reconcileMs = options.reconcileMs ?? 30_000;
  if (!Number.isFinite(reconcileMs) || reconcileMs <= 0) throw new TypeError('job-status: bullmqSource `reconcileMs` must be a positive number');
  const prefix = options.prefix ?? 'bull';
  const logger = options.logger ?? jsonLineLogger;

  const queue = new Queue<JobData, WorkerResult>(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  const producer = new QueueEventsProducer(name, { connection, prefix });
  for (const emitter of [queue, events, producer] as Array<{ on(event: 'error', listener: (error: Error) => void): unknown }>) {
    emitter.on('error', (error) => logger.error({ err: error.message, queue: name }, 'job-status: BullMQ connection error'));
  }
  const followers = new Map<string, Follower>();
  const route = <A extends { jobId: string }>(apply: (follower: Follower, args: A) => void) => (args: A) => {
    const follower = followers.get(args.jobId);
    if (follower) apply(follower, args);
  };
  events.on('progress', route<{ jobId: string; data: unknown }>((f, { data }) => void f.progress(data)));
  events.on('active', route((f) => void f.active()));
  // `delay` is when the retry is due, in ms since the epoch.
  events.on('delayed', route<{ jobId: string; delay: number }>((f, { delay }) => void f.retrying(Math.max(0, Number(delay) - Date.now()))));
  // Back to waiting from active: retried at once (no backoff).
  events.on('waiting', route<{ jobId: string; prev?: string }>((f, { prev }) => void (prev === 'active' ? f.retrying(0) : undefined)));
  events.on('stalled', route((f) => void f.stalled()));
  events.on('completed', route<{ jobId: string; returnvalue: unknown }>((f, { returnvalue }) => void f.completed(returnvalue)));
  events.on('failed', route<{ jobId: string; failedReason: string }>((f, { failedReason }) => void f.failed(failedReason)));
  events.on('removed', route((f) => void f.removed()));

  // The event reader starts at "now": make sure it is reading before any job goes out,
  // by sending an event to ourselves and waiting to hear it.
  const ready = (async () => {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), producer.waitUntilReady()]);
    const token = crypto.randomUUID();
    const heard = new Promise<void>((resolve) => {
      const listener = (args: { token?: string }) => {
        if (args.token !== token) return;
        (events as unknown as { off(event: string, l: typeof listener): void }).off(HELLO_EVENT, listener);
        resolve();
      };
      (events as unknown as { on(event: string, l: typeof listener): void }).on(HELLO_EVENT, listener);
    });
    for (;;) {
      await producer.publishEvent({ eventName: HELLO_EVENT, token });
      const outcome = await Promise.race([heard.then(() => 'heard'), new Promise((r) => setTimeout(r, 1000, 'again'))]);
      if (outcome === 'heard') return;
    }
  })();
  ready.catch(() => undefined);

  const timer = setInterval(() => {
    for (const follower of followers.values()) void follower.reconcile();
  }, reconcileMs);
  timer.unref?.();

  const stop = async (jobId: string) => {
    const job = await queue.getJob(jobId);
    // A waiting job is simply removed; a running one is aborted by its worker.
    const removed = await job?.remove().then(() => true, () => false);
    if (!removed) await producer.publishEvent({ eventName: CANCEL_EVENT, jobId });
  };

  /**
   * Hands the job to BullMQ (a resumed job only when BullMQ does not have it yet: its
   * follower stopped before the hand-over) and follows it until it settles.
   */
  const follow = async (ctx: JobContext, input: unknown, logs: number, resumed: boolean): Promise<JobOutcome> => {
    await ready;
    const follower = new Follower(ctx, queue, logs, stop);
    followers.set(ctx.jobId, follower);
    try {
      if (!resumed) ctx.phase('Waiting for a worker');
      const existing = resumed ? await queue.getJob(ctx.jobId) : undefined;
      // With an id BullMQ already has, `add` adds nothing: a job is never queued twice.
      if (!existing) await queue.add(ctx.kind, dataOf(ctx, input, options.telemetry?.carrier(ctx.jobId)), { ...jobOptionsOf(ctx.kind), jobId: ctx.jobId });
      // Whatever happened before the events were routed here is read from the job itself.
      void follower.reconcile();
      return await follower.done;
    } finally {
      followers.delete(ctx.jobId);
    }
  };
  const jobOptionsOf = (kind: string): JobsOptions => ({ ...DEFAULT_JOB_OPTIONS, ...options.jobOptions, ...options.kinds[kind]?.jobOptions });

  return {
    ready,
    attach(jobs) {
      for (const [kind, definition] of Object.entries(options.kinds)) {
        jobs.define(kind, {
          ...(definition.label === undefined ? {} : { label: definition.label }),
          ...(definition.input === undefined ? {} : { input: definition.input }),
          ...(definition.timeoutMs === undefined ? {} : { timeoutMs: definition.timeoutMs }),
          run: (ctx, input) => follow(ctx, input, 0, false),
          resume: (ctx, input, resumed) => follow(ctx, input, resumed.logs, true),
        });
      }
    },
    async close() {
      clearInterval(timer);
      await Promise.all([events.close(), producer.close(), queue.close()]);
    },
  };
}

function dataOf(ctx: JobContext, input: unknown, trace: Record<string, string> | undefined): JobData {
  const data: JobData = { job_id: ctx.jobId, kind: ctx.kind, target: ctx.target, actor: ctx.actor, input: input ?? null };
  return trace && Object.keys(trace).length ? { ...data, trace } : data;
}
