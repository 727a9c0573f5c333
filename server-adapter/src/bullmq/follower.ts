import type { Queue } from 'bullmq';
import type { JobError } from '@job-status/protocol';
import { JobAbortedError, JobFailure } from '../errors.js';
import type { JobAbortReason } from '../errors.js';
import type { JobContext, JobOutcome, ProgressUpdate } from '../registry/definition.js';
import { isWorkerReport, parseLogLine } from './report.js';
import type { JobData, WorkerResult } from './report.js';

/** Reasons the registry aborts a handler with that mean "stop following", not "stop the job". */
const DETACH_REASONS: ReadonlySet<JobAbortReason> = new Set(['closing', 'taken-over']);

const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))} s`;
/** Joins a message that may end a sentence itself to the sentence after it. */
const then = (message: string, next: string) => `${message}${/[.!?…]$/.test(message) ? '' : '.'} ${next}`;

/**
 * Mirrors one BullMQ job into a job-status context, from `QueueEvents` and, to catch up
 * (on adoption, after a missed event), from the job itself. Every input is idempotent:
 * progress reports carry the whole state, log lines are counted, and the job settles once.
 */
export class Follower {
  readonly #ctx: JobContext;
  readonly #queue: Queue<JobData, WorkerResult>;
  /** BullMQ log lines already copied into the job's log. */
  #logs: number;
  #attempt = 0;
  #lastError: JobError | null = null;
  #warned = false;
  #settled = false;
  /** What was last passed on, so a repeated report or event makes no new event. */
  #phase: string | null = null;
  #progress = 'null';
  /** The failed attempt whose retry the phase already announces. */
  #retryShown = 0;
  #chain: Promise<void> = Promise.resolve();
  readonly done: Promise<JobOutcome>;
  #resolve!: (outcome: JobOutcome) => void;
  #reject!: (error: unknown) => void;

  constructor(ctx: JobContext, queue: Queue<JobData, WorkerResult>, logs: number, stop: (jobId: string) => Promise<void>) {
    this.#ctx = ctx;
    this.#queue = queue;
    this.#logs = logs;
    this.done = new Promise<JobOutcome>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    ctx.signal.addEventListener(
      'abort',
      () => {
        const { reason } = ctx.signal;
        // Closing or taken over: the job goes on in BullMQ, and another instance follows it.
        if (reason instanceof JobAbortedError && DETACH_REASONS.has(reason.reason)) return this.#settle(() => undefined);
        // Canceled or timed out: the registry has finished it; stop it in BullMQ too.
        this.#settle(() => this.#reject(ctx.signal.reason));
        stop(ctx.jobId).catch(() => undefined);
      },
      { once: true },
    );
  }

  get settled() {
    return this.#settled;
  }

  /**
   * Runs `step` after the steps before it, unless the job has settled. A step that fails
   * (Redis did not answer) changes nothing for good: the next reconcile reads the job again.
   */
  #then(step: () => Promise<void> | void) {
    this.#chain = this.#chain.then(() => (this.#settled ? undefined : step())).catch(() => undefined);
    return this.#chain;
  }

  #settle(finish: () => void) {
    if (this.#settled) return;
    this.#settled = true;
    finish();
  }

  progress(data: unknown) {
    return this.#then(() => this.#applyProgress(data));
  }

  active() {
    return this.#then(() => this.#setPhase('Started on a worker'));
  }

  /** A failed attempt will be run again, after `delayMs` (0: as soon as a worker is free). */
  retrying(delayMs: number) {
    return this.#then(() => this.#applyRetrying(delayMs));
  }

  stalled() {
    return this.#then(() => this.#setPhase('The worker running this job stopped responding; waiting for another worker.'));
  }

  completed(value: unknown) {
    return this.#then(() => this.#applyCompleted(value));
  }

  failed(reason: string) {
    return this.#then(() => this.#applyFailed(reason));
  }

  removed() {
    return this.#then(() => this.#applyRemoved());
  }

  /**
   * Brings the job-status job up to where the BullMQ job is now. The job is read in turn
   * with the events, so what it shows is never older than what they already brought.
   */
  reconcile() {
    return this.#then(async () => {
      const job = await this.#queue.getJob(this.#ctx.jobId);
      if (!job) return this.#applyMissing();
      const state = await job.getState();
      const report = isWorkerReport(job.progress) ? job.progress : null;
      const attempt = job.attemptsMade + 1;
      // "Started" only until the running attempt has named a step of its own.
      if (state === 'active' && !(report?.attempt === attempt && report.phase !== null)) this.#setPhase('Started on a worker');
      await this.#applyProgress(report);
      if ((state === 'delayed' || state === 'waiting') && job.attemptsMade > 0 && this.#retryShown !== job.attemptsMade) await this.#applyRetrying(0);
      if (state === 'completed') await this.#applyCompleted(job.returnvalue);
      if (state === 'failed') await this.#applyFailed(job.failedReason);
    });
  }

  async #applyProgress(data: unknown) {
    if (!isWorkerReport(data) || data.attempt < this.#attempt) return;
    if (data.attempt !== this.#attempt) {
      this.#attempt = data.attempt;
      this.#lastError = null;
    }
    await this.#copyLogs(data.logs);
    if (data.error) this.#lastError = data.error;
    // An attempt that has not named a step yet leaves the follower's phase ("Started on a worker").
    else if (data.phase !== null) this.#setPhase(data.phase);
    if (data.progress && JSON.stringify(data.progress) !== this.#progress) {
      this.#progress = JSON.stringify(data.progress);
      this.#ctx.progress(data.progress as ProgressUpdate);
    }
  }

  async #applyRetrying(delayMs: number) {
    const job = await this.#queue.getJob(this.#ctx.jobId);
    const attempts = job?.opts.attempts ?? 1;
    const made = job?.attemptsMade ?? this.#attempt;
    this.#retryShown = made;
    const failed = `Attempt ${made} of ${attempts} failed${this.#lastError ? `: ${this.#lastError.message}` : ''}`;
    this.#setPhase(then(failed, delayMs > 0 ? `Retrying in ${seconds(delayMs)}.` : 'Waiting for a worker to retry.'));
  }

  async #applyCompleted(value: unknown) {
    await this.#copyLogs(Infinity);
    const result = (value ?? {}) as Partial<WorkerResult>;
    // An adopted job may have warned before this instance followed it.
    const warnings = Array.isArray(result.warnings) ? result.warnings.filter((w) => typeof w === 'string') : [];
    if (warnings.length && !this.#warned) this.#ctx.warn(warnings.at(-1)!);
    this.#settle(() =>
      this.#resolve({
        message: typeof result.message === 'string' ? result.message : null,
        ...(result.result === undefined ? {} : { result: result.result }),
      }),
    );
  }

  async #applyFailed(reason: string) {
    await this.#copyLogs(Infinity);
    const job = await this.#queue.getJob(this.#ctx.jobId);
    const made = job?.attemptsMade ?? 1;
    const stalled = /stalled/i.test(reason);
    const error = this.#lastError ?? {
      code: stalled ? 'worker_lost' : 'failed',
      message: reason || 'The job failed on the worker.',
      hint: stalled ? 'The workers running this job stopped more than once. Check that they are healthy (memory, crashes), then run the action again.' : null,
    };
    const message = made > 1 ? `Gave up after ${made} attempts: ${error.message}` : error.message;
    this.#settle(() => this.#reject(new JobFailure(message, { code: error.code, hint: error.hint })));
  }

  #applyRemoved() {
    this.#settle(() =>
      this.#reject(
        new JobFailure('The job was removed from the queue before it finished.', {
          code: 'removed',
          hint: 'Someone removed it from the BullMQ queue (for example in a queue dashboard). Run the action again if it is still needed.',
        }),
      ),
    );
  }

  /**
   * The job is gone from Redis and no `removed` event said why: Redis may have lost it
   * (a restart without persistence during an outage) after the worker finished it, so
   * nobody is blamed and the admin is told to check before running it again.
   */
  #applyMissing() {
    this.#settle(() =>
      this.#reject(
        new JobFailure('The job is no longer in the BullMQ queue, so its outcome is unknown.', {
          code: 'lost',
          hint: "Redis no longer has it: it may have been lost in a Redis outage or restart, possibly after the worker finished it. Check the worker's log for this job before you run the action again.",
        }),
      ),
    );
  }

  #setPhase(phase: string) {
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.#ctx.phase(phase);
  }

  /** Copies BullMQ's log lines from where this follower stopped, up to `count` lines. */
  async #copyLogs(count: number) {
    if (count <= this.#logs) return;
    const end = Number.isFinite(count) ? count - 1 : -1;
    const { logs } = await this.#queue.getJobLogs(this.#ctx.jobId, this.#logs, end, true);
    for (const line of logs) {
      const { level, message, warning } = parseLogLine(line);
      if (warning) {
        this.#warned = true;
        this.#ctx.warn(message);
      } else {
        this.#ctx.log(level, message);
      }
      this.#logs++;
    }
  }
}
