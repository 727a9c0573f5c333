import type { JobStatusClock } from '../../src/client/index.js';
import { waitFor } from './wait-for.js';

interface Timer {
  at: number;
  ms: number;
  callback: () => void;
}

/**
 * A clock the test moves by hand: the client's timers (debounce, polls, backoff,
 * stream retry, watchdog, hidden-page pause) run only when `advance` passes them.
 * Network requests still take real time; wait for their effects with `waitFor`.
 */
export class FakeClock implements JobStatusClock {
  #now = Date.UTC(2030, 0, 1);
  #ids = 0;
  readonly #timers = new Map<number, Timer>();

  now() {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number) {
    const id = ++this.#ids;
    this.#timers.set(id, { at: this.#now + ms, ms, callback });
    return id;
  }

  clearTimeout(handle: unknown) {
    this.#timers.delete(handle as number);
  }

  /** The delays (as requested, in ms) of the timers still pending, soonest first. */
  get delays(): number[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at).map((t) => t.ms);
  }

  /**
   * Waits until `check()` holds, running the timers due now (no time passes) between
   * looks: for work the client plans "at once" after an answer that is still on its way.
   */
  async settle(check: () => boolean, what: string) {
    await waitFor(() => {
      void this.advance(0);
      return check();
    }, what);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  async advance(ms: number) {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
      await Promise.resolve();
    }
    this.#now = end;
  }
}
