import { JobAbortedError } from '../errors.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import type { QueueBounds } from './admission.js';
import { isoNow } from './clock.js';
import type { JobStatusClock } from './clock.js';
import { createContext } from './context.js';
import type { JobContext, JobDefinition, JobOutcome } from './definition.js';
import { failureOf } from './failure.js';
import type { LiveJob } from './live-job.js';
import type { LiveJobs } from './live-jobs.js';

/** What the run of a live job calls: the definition's `run`, or its `resume` for an adopted job. */
export type Handler = (ctx: JobContext, input: unknown) => Promise<JobOutcome | void> | JobOutcome | void;

export interface RunQueueOptions {
  /** The jobs this process runs, by id. */
  live: LiveJobs;
  /** The definition of a kind, for its concurrency. */
  definition(kind: string): JobDefinition<any> | undefined;
  /** True once the registry closes: no queued job starts after that. */
  closed(): boolean;
  /** Places in the bounded queue, given back when a job leaves it. */
  bounds: QueueBounds;
  telemetry: JobStatusTelemetry;
  maxTextLength: number;
  /** Times the handlers' `timeoutMs` and their start. */
  clock: JobStatusClock;
}

/**
 * Starts queued jobs in order, at most `concurrency` of a kind at once, and runs each
 * handler to its end: its outcome, its thrown error, or its timeout.
 */
export class RunQueue {
  readonly #options: RunQueueOptions;
  readonly #queues = new Map<string, string[]>();
  readonly #running = new Map<string, number>();

  constructor(options: RunQueueOptions) {
    this.#options = options;
  }

  /** Queues a new job; it starts after the caller has had its answer. */
  push(live: LiveJob) {
    const { kind } = live.writes.draft;
    let queue = this.#queues.get(kind);
    if (!queue) this.#queues.set(kind, (queue = []));
    queue.push(live.writes.draft.job_id);
    // The work runs after the caller has its answer (a turn of the event loop, not a wait: no clock).
    setTimeout(() => this.#pump(kind), 0);
  }

  /** Takes a job out of the queue before it started; it never will. */
  remove(live: LiveJob) {
    const queue = this.#queues.get(live.writes.draft.kind);
    const index = queue?.indexOf(live.writes.draft.job_id) ?? -1;
    if (index < 0) return;
    queue!.splice(index, 1);
    this.leave(live);
    live.markDone();
  }

  /** Empties every queue: the jobs that waited will not start in this process. */
  drain() {
    for (const queue of this.#queues.values()) {
      for (const id of queue.splice(0)) this.#options.live.get(id)?.markDone();
    }
  }

  /** Lets go of a job's place in the bounded queue (it started, or will never start). */
  leave(live: LiveJob) {
    if (!live.queued) return;
    live.queued = false;
    this.#options.bounds.release(live.writes.draft.kind);
  }

  /** Jobs of each kind that wait for a slot and that run now. */
  load(kinds: Iterable<string>): Map<string, { queued: number; running: number }> {
    const load = new Map<string, { queued: number; running: number }>();
    for (const kind of kinds) load.set(kind, { queued: this.#queues.get(kind)?.length ?? 0, running: this.#running.get(kind) ?? 0 });
    return load;
  }

  #pump(kind: string) {
    const queue = this.#queues.get(kind);
    const limit = this.#options.definition(kind)?.concurrency ?? Infinity;
    while (queue?.length && (this.#running.get(kind) ?? 0) < limit && !this.#options.closed()) {
      const live = this.#options.live.get(queue.shift()!);
      if (live) this.leave(live);
      if (live && !live.finished) void this.run(live);
    }
  }

  /** Runs a job's handler (its `run`, unless another is given) and finishes the job with what it returns or throws. */
  async run(live: LiveJob, handler: Handler = (ctx, input) => live.definition.run(ctx, input)) {
    const { live: lives, telemetry, clock } = this.#options;
    const { kind } = live.writes.draft;
    const { definition, controller } = live;
    this.#running.set(kind, (this.#running.get(kind) ?? 0) + 1);
    const timer =
      definition.timeoutMs === undefined
        ? null
        : clock.setTimeout(() => {
            const seconds = Math.round(definition.timeoutMs! / 100) / 10;
            controller.abort(new JobAbortedError('timeout'));
            void lives.finish(live, 'failed', {
              message: `Stopped after ${seconds} s: the action took longer than allowed.`,
              error: { code: 'timeout', message: `The job did not finish within ${seconds} s.`, hint: 'Try again; if it keeps timing out, check that the target is reachable and not overloaded.' },
            });
          }, definition.timeoutMs);
    // An adopted job keeps the time it first started.
    const startedAt = live.writes.draft.started_at ?? isoNow(clock);
    void live.writes.update({ state: 'running', started_at: startedAt }, true);
    telemetry.jobStarted(live.writes.draft);
    try {
      const outcome = (await telemetry.runJob(live.writes.draft.job_id, () =>
        handler(createContext(live.writes.draft, controller.signal, live.sink), live.writes.draft.input),
      )) as JobOutcome | void;
      const warning = live.warnings.at(-1);
      await lives.finish(live, warning === undefined ? 'success' : 'warning', {
        message: outcome?.message ?? warning ?? null,
        ...(outcome?.result === undefined ? {} : { result: outcome.result }),
      });
    } catch (thrown) {
      const error = failureOf(thrown, this.#options.maxTextLength);
      await lives.finish(live, 'failed', { message: error.message, error });
    } finally {
      if (timer !== null) clock.clearTimeout(timer);
      this.#running.set(kind, (this.#running.get(kind) ?? 1) - 1);
      live.markDone();
      this.#pump(kind);
    }
  }
}
