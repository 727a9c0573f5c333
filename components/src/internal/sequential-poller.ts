import { backoff } from '../client/delays.js';
import type { JobStatusClock } from '../client/types.js';

/** The global timers and `Date.now`: what a poller uses unless a test injects a clock. */
export const systemClock: JobStatusClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * One request repeated on a schedule, never two at a time: the next run is planned when
 * the previous one has answered, so a slow server never faces a pile of requests.
 *
 * The schedule follows the dashboard rules: every `interval` ms while runs succeed;
 * after the 3rd failure in a row, 10 s, doubling with each further failure up to 2 min
 * (never less than `interval`); the first success brings back `interval`. A run that
 * was aborted counts as neither.
 *
 * Runs happen on schedule only while `periodic` is true; {@link SequentialPoller.run}
 * runs one at once whatever `periodic` says (a page load, a catch-up, a user's action).
 *
 * @example
 * const poller = new SequentialPoller((signal) => client.list({}, { signal }).then(show));
 * poller.interval = 5000;
 * poller.periodic = client.connection.state !== 'live';
 */
export class SequentialPoller {
  /** Consecutive failed runs; 0 after a success. */
  get failures(): number {
    return this.#failures;
  }
  /** True while a run is in flight. */
  get running(): boolean {
    return this.#abort !== undefined;
  }
  /** Milliseconds from one answer to the next run, by the rules above. */
  get delay(): number {
    return Math.max(this.interval, backoff(this.#failures));
  }

  /** Milliseconds between runs while they succeed; already validated (see `pollInterval`). */
  get interval(): number {
    return this.#interval;
  }
  set interval(ms: number) {
    if (ms === this.#interval) return;
    this.#interval = ms;
    if (this.#timer !== undefined) this.#plan();
  }

  /** Whether runs happen on schedule. Turning it on plans the next run one `delay` from now. */
  get periodic(): boolean {
    return this.#periodic;
  }
  set periodic(on: boolean) {
    if (on === this.#periodic) return;
    this.#periodic = on;
    this.#plan();
  }

  readonly #task: (signal: AbortSignal) => Promise<unknown>;
  readonly #clock: JobStatusClock;
  #interval: number;
  #periodic = false;
  #failures = 0;
  /** Aborts the run in flight; undefined when none is. */
  #abort: AbortController | undefined;
  /** The run in flight, and the one asked for meanwhile, as one promise. */
  #current: Promise<void> = Promise.resolve();
  /** A run was asked for while one was in flight. */
  #pending = false;
  #timer: unknown;

  /**
   * @param task One run: resolves on success, rejects on failure. It is handed a signal
   *   that aborts when the run is superseded or the poller stops.
   * @param options `interval` in ms (already validated, see `pollInterval`); `clock` for tests.
   */
  constructor(task: (signal: AbortSignal) => Promise<unknown>, options: { interval: number; clock?: JobStatusClock }) {
    this.#task = task;
    this.#interval = options.interval;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Runs now. While a run is in flight, runs once more right after it (calls meanwhile
   * share that one), unless `restart`: then the one in flight is aborted and ignored.
   * Resolves when the run is over, whatever its outcome.
   */
  run({ restart = false } = {}): Promise<void> {
    if (this.#abort && !restart) {
      this.#pending = true;
      return this.#current;
    }
    this.#abort?.abort();
    return (this.#current = this.#go());
  }

  /** Stops: no run planned, the one in flight aborted. `periodic` is left as it is. */
  stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
    this.#pending = false;
    this.#cancel();
  }

  async #go(): Promise<void> {
    this.#cancel();
    this.#pending = false;
    const abort = (this.#abort = new AbortController());
    let ok = false;
    try {
      await this.#task(abort.signal);
      ok = true;
    } catch {
      // Counted below; what a failure means is for the task to show.
    }
    // Superseded by a restart, or stopped: this run counts for nothing.
    if (abort.signal.aborted || abort !== this.#abort) return;
    this.#abort = undefined;
    this.#failures = ok ? 0 : this.#failures + 1;
    if (this.#pending) return this.#go();
    this.#plan();
  }

  #plan() {
    this.#cancel();
    if (!this.#periodic || this.#abort) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.run();
    }, this.delay);
  }

  #cancel() {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
