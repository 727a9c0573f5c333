import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Job, WorkerOptions } from 'bullmq';
import type { LogLevel } from '@job-status/protocol';
import { LOG_LEVELS } from '@job-status/protocol';
import { jsonLineLogger } from '../options.js';
import type { JobStatusLogger } from '../options.js';
import { normalizeProgress } from '../registry/context.js';
import type { JobContext, JobOutcome } from '../registry/definition.js';
import { silentTelemetry } from '../telemetry/telemetry.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import { connectionOptions, queueName } from './connection.js';
import type { RedisConnection } from './connection.js';
import { failureOf } from '../registry/failure.js';
import { CANCEL_EVENT, formatLogLine } from './report.js';
import type { JobData, WorkerReport, WorkerResult } from './report.js';

/** One kind as a worker runs it: the same handler a `jobs.define` would take. */
export interface WorkerKind<Input = any> {
  run(ctx: JobContext, input: Input): Promise<JobOutcome | void> | JobOutcome | void;
}

export interface CreateWorkerOptions {
  /** The BullMQ queue the app's `bullmqSource` puts jobs on. */
  queue: string;
  /** A Redis URL, or BullMQ connection options. */
  connection: RedisConnection;
  /** The handlers, by kind. A job of a kind missing here fails at once, without retries. */
  kinds: Record<string, WorkerKind>;
  /** Jobs this worker runs at once. Default 1. */
  concurrency?: number;
  /** BullMQ's key prefix; the same as the source's. Default `bull`. */
  prefix?: string;
  /** Other BullMQ worker settings (lock duration, stalled checks, limiter, ...). */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'concurrency' | 'prefix' | 'autorun'>;
  /** Where failures to report progress go. Default: JSON lines. */
  logger?: JobStatusLogger;
  /** `openTelemetry()`: each attempt is a span that continues the trace of the job's span in the app. */
  telemetry?: JobStatusTelemetry;
}

/** A running worker. */
export interface JobStatusWorker {
  /** The BullMQ worker, for its events and settings. */
  readonly worker: Worker<JobData, WorkerResult>;
  /** Resolves once the worker takes jobs and hears cancels. */
  readonly ready: Promise<void>;
  /** Stops taking jobs, waits for the running ones, and closes the connections. */
  close(): Promise<void>;
}

/** Longest phase, log line or warning sent through BullMQ. */
const MAX_TEXT = 4096;

/**
 * Runs the jobs that an app's {@link bullmqSource} puts on a BullMQ queue, in any process
 * on any machine. Each handler gets a job-status context: `phase`, `progress`, `log` and
 * `warn` travel through BullMQ (`job.updateProgress`, `job.log`), and the app's instances
 * bring them to the browser. Return `{message, result}` for success, throw for failure (a
 * `JobFailure`'s code and hint reach the admin); BullMQ retries a failed job as the
 * kind's `attempts` and `backoff` say, unless it threw BullMQ's `UnrecoverableError`. A
 * cancel from the admin aborts `ctx.signal`, and a canceled job is never retried.
 *
 * @example
 * import { createWorker } from '@job-status/hono/bullmq'
 * const worker = createWorker({
 *   queue: 'admin-jobs',
 *   connection: process.env.REDIS_URL,
 *   kinds: { 'report.build': { run: async (ctx, input) => { ctx.phase('Collecting'); ...; return { message: 'Report ready' } } } },
 * })
 * process.on('SIGTERM', () => worker.close())
 */
export function createWorker(options: CreateWorkerOptions): JobStatusWorker {
  const who = 'createWorker';
  const queue = queueName(options?.queue, who);
  const connection = connectionOptions(options.connection, who);
  if (!options.kinds || typeof options.kinds !== 'object' || !Object.keys(options.kinds).length) {
    throw new TypeError('job-status: createWorker needs `kinds`: a handler `{ run }` for each kind it runs');
  }
  for (const [kind, handler] of Object.entries(options.kinds)) {
    if (typeof handler?.run !== 'function') throw new TypeError(`job-status: createWorker kind "${kind}" needs a run function`);
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('job-status: createWorker `concurrency` must be a whole number from 1');
  const prefix = options.prefix ?? 'bull';
  const logger = options.logger ?? jsonLineLogger;
  const telemetry = options.telemetry ?? silentTelemetry;

  // Log counts of earlier attempts come from the queue.
  const logs = new Queue(queue, { connection, prefix });
  const worker = new Worker<JobData, WorkerResult>(
    queue,
    (job, _token, signal) => telemetry.workerRun(job.data.trace, { ...job.data, attempt: job.attemptsMade + 1 }, () => runJob(job, signal, options.kinds, logs, logger)),
    { ...options.workerOptions, connection, prefix, concurrency },
  );
  const cancels = new QueueEvents(queue, { connection, prefix });
  (cancels as unknown as { on(event: string, listener: (args: { jobId?: string }) => void): void }).on(CANCEL_EVENT, ({ jobId }) => {
    if (typeof jobId === 'string') worker.cancelJob(jobId, 'canceled');
  });
  // Errors are reported by the objects themselves and they reconnect; an unheard 'error' would crash the process.
  for (const emitter of [worker, cancels, logs] as Array<{ on(event: 'error', listener: (error: Error) => void): unknown }>) {
    emitter.on('error', (error) => logger.error({ err: error.message, queue }, 'job-status: BullMQ worker connection error'));
  }
  const ready = Promise.all([worker.waitUntilReady(), cancels.waitUntilReady(), logs.waitUntilReady()]).then(() => undefined);
  ready.catch(() => undefined);
  return {
    worker,
    ready,
    async close() {
      await worker.close();
      await Promise.all([cancels.close(), logs.close()]);
    },
  };
}

async function runJob(
  job: Job<JobData, WorkerResult>,
  signal: AbortSignal | undefined,
  kinds: Record<string, WorkerKind>,
  queue: Queue,
  logger: JobStatusLogger,
): Promise<WorkerResult> {
  const handler = Object.hasOwn(kinds, job.name) ? kinds[job.name] : undefined;
  if (!handler) throw new UnrecoverableError(`No worker on this queue runs jobs of kind "${job.name}".`);
  const attempts = Math.max(1, job.opts.attempts ?? 1);
  const attempt = job.attemptsMade + 1;
  const reporter = new AttemptReporter(job, attempt, (await queue.getJobLogs(job.id!, 0, 0)).count, logger);
  const aborted = signal ?? new AbortController().signal;
  const ctx: JobContext = {
    jobId: job.data.job_id,
    kind: job.data.kind,
    target: job.data.target,
    actor: job.data.actor,
    signal: aborted,
    phase: (text) => reporter.update({ phase: text == null ? null : String(text).slice(0, MAX_TEXT) }),
    progress: (update) => {
      const progress = normalizeProgress(update);
      if (progress) reporter.update({ progress });
    },
    log: (level, message) => reporter.log(LOG_LEVELS.includes(level) ? level : 'info', String(message)),
    warn: (message) => reporter.warn(String(message)),
  };
  try {
    const outcome = (await handler.run(ctx, job.data.input)) as JobOutcome | void;
    await reporter.flush();
    return {
      message: outcome?.message ?? null,
      ...(outcome?.result === undefined ? {} : { result: outcome.result }),
      warnings: reporter.warnings,
    };
  } catch (thrown) {
    const canceled = aborted.aborted;
    const error = canceled ? { code: 'canceled', message: 'Canceled.', hint: null } : failureOf(thrown);
    const final = canceled || thrown instanceof UnrecoverableError || attempt >= attempts;
    reporter.log('error', attempts > 1 ? `Attempt ${attempt} of ${attempts} failed: ${error.message}${final ? '' : ' BullMQ will try again.'}` : `Failed: ${error.message}`);
    reporter.update({ error });
    await reporter.flush();
    // A canceled job must not be retried: the admin asked it to stop.
    if (canceled) throw new UnrecoverableError('Canceled.');
    throw thrown instanceof Error ? thrown : new Error(error.message);
  }
}

/**
 * Sends one attempt's reports to BullMQ in call order: log lines first, then the progress
 * value that counts them, so a follower that sees the count can read the lines. Calls made
 * in one burst go out as one report.
 */
class AttemptReporter {
  readonly #job: Job;
  readonly #logger: JobStatusLogger;
  readonly #report: WorkerReport;
  readonly warnings: string[] = [];
  #lines: string[] = [];
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;

  constructor(job: Job, attempt: number, logs: number, logger: JobStatusLogger) {
    this.#job = job;
    this.#logger = logger;
    this.#report = { job_status: 1, attempt, phase: null, progress: null, logs, error: null };
    this.#schedule();
  }

  update(patch: Partial<WorkerReport>) {
    Object.assign(this.#report, patch);
    this.#schedule();
  }

  log(level: LogLevel | 'warning', message: string) {
    this.#lines.push(formatLogLine(level, message.slice(0, MAX_TEXT)));
    this.#schedule();
  }

  warn(message: string) {
    this.warnings.push(message.slice(0, MAX_TEXT));
    this.log('warning', message);
  }

  flush() {
    return this.#chain;
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#chain = this.#chain
      .then(async () => {
        this.#scheduled = false;
        for (const line of this.#lines.splice(0)) this.#report.logs = await this.#job.log(line);
        await this.#job.updateProgress({ ...this.#report });
      })
      .catch((error: Error) => this.#logger.error({ err: error.message, job_id: this.#job.id }, 'job-status: could not report progress to BullMQ'));
  }
}
