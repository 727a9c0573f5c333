import type { JobSnapshot } from '@job-status/protocol';
import { isTerminalState } from '@job-status/protocol';
import type { JobBus } from '../buses/bus.js';
import { JobAbortedError, JobStatusError } from '../errors.js';
import { publicSnapshot } from '../stores/store.js';
import type { JobStore } from '../stores/store.js';
import type { JobStatusClock } from './clock.js';
import type { LiveJobs } from './live-jobs.js';
import type { OwnerHeartbeat } from './owner-heartbeat.js';
import type { RunQueue } from './run-queue.js';
import type { StoreHealth } from './store-health.js';

export interface StoppingOptions {
  store: JobStore;
  bus: JobBus;
  health: StoreHealth;
  /** Owner id of this process, released on close. */
  instanceId: string;
  /** How long `close()` waits for running handlers before it aborts them, in milliseconds. */
  closeTimeoutMs: number;
  /** Times `closeTimeoutMs`. */
  clock: JobStatusClock;
  /** The jobs this process runs, by id. */
  live: LiveJobs;
  /** Aborted by `close()`: the store stops being opened; writes get a last try instead of waiting. */
  closing: AbortController;
  runs: RunQueue;
  owner: OwnerHeartbeat;
  /** Resolves once the store opened and left-over jobs are recovered; rejects when it never opened. */
  ready(): Promise<unknown>;
  /** Waits until the store has opened (503 while it cannot). */
  opened(): Promise<void>;
  /** Stops the registry's periodic work (pruning). */
  stopTimers(): void;
  /** Stops listening to the bus. */
  unsubscribe(): void;
  internal(error: unknown): void;
}

/**
 * Ends jobs before their handlers do: a cancel of one job (here, or asked of the process
 * that runs it), and the close of the registry, which waits for running handlers up to a
 * bound and then aborts them.
 */
export class Stopping {
  readonly #options: StoppingOptions;
  readonly #closing: AbortController;
  #closed = false;

  constructor(options: StoppingOptions) {
    this.#options = options;
    this.#closing = options.closing;
  }

  /** True from the first call of `close()`. */
  get closed() {
    return this.#closed;
  }

  /**
   * Cancels a busy job: a queued one never starts, a running one has its signal aborted.
   * Either way it is `canceled` at once. Throws 404 when unknown, 409 when already finished.
   */
  async cancel(jobId: string, by?: string | null): Promise<JobSnapshot> {
    const { store, bus, live: lives, runs } = this.#options;
    await this.#options.opened();
    const live = lives.get(jobId);
    if (!live) {
      const job = await store.get(jobId);
      if (!job) throw new JobStatusError(404, 'not_found', `id: no job ${jobId}`);
      if (isTerminalState(job.state)) throw new JobStatusError(409, 'already_finished', `The job already finished as ${job.state}.`);
      // Another process runs it: ask it to stop.
      await bus.publish({ type: 'cancel', job_id: jobId });
      return publicSnapshot(job);
    }
    if (live.finished) throw new JobStatusError(409, 'already_finished', `The job already finished as ${live.writes.draft.state}.`);
    runs.remove(live);
    live.controller.abort(new JobAbortedError('canceled'));
    await lives.finish(live, 'canceled', { message: by ? `Canceled by ${by}.` : 'Canceled.' });
    return publicSnapshot(live.writes.saved);
  }

  /**
   * Stops accepting jobs and waits up to `closeTimeoutMs` for running handlers, then
   * aborts the rest (they are recovered as `interrupted` on the next start) and closes
   * the store.
   */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    const { store, health, live: lives, runs, owner, internal } = this.#options;
    this.#options.stopTimers();
    owner.stop();
    // A store that never opened has nothing to close.
    if (health.state === 'opening') this.#closing.abort();
    if (!(await this.#options.ready().then(() => true, () => false))) {
      this.#options.unsubscribe();
      return store.close().catch(internal);
    }
    // Queued jobs will not start now; the next start recovers them as interrupted.
    runs.drain();
    const running = [...lives.values()].map((live) => live.done);
    let timer: unknown;
    await Promise.race([
      Promise.all(running),
      new Promise<void>((resolve) => (timer = this.#options.clock.setTimeout(resolve, this.#options.closeTimeoutMs))),
    ]);
    this.#options.clock.clearTimeout(timer);
    for (const live of lives.values()) live.controller.abort(new JobAbortedError('closing'));
    // Writes still waiting for the store get one last try each; what fails is logged as lost.
    this.#closing.abort();
    await Promise.all([...lives.values()].map((live) => live.writes.idle()));
    await owner.idle();
    this.#options.unsubscribe();
    // Stopping on purpose: whatever this process leaves busy may be recovered at once.
    await store.release(this.#options.instanceId).catch(internal);
    await store.close().catch(internal);
  }
}
