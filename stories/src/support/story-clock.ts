import type { JobStatusClock } from '@job-status/elements/client';

/** Timers shorter than this are the client's "at once" work (its 10 ms debounce, a poll at 0 ms). */
const SOON_MS = 1000;

interface Timer {
  at: number;
  ms: number;
  callback: () => void;
  real: ReturnType<typeof setTimeout>;
}

/**
 * The clock of a story's client: real time, except that it may start in the past and
 * catch up by running the timers due on the way at once (`catchUp`). So a story can show
 * a client whose last update arrived 30 s ago and whose polls have failed since, as the
 * client itself got there, without waiting 30 s.
 */
export class StoryClock implements JobStatusClock {
  /** Milliseconds this clock is behind the page's (`Date.now()`); 0 once caught up. */
  #behind: number;
  #ids = 0;
  readonly #timers = new Map<number, Timer>();

  /** @param since Where the clock starts (ms since the epoch); default now. */
  constructor(since = Date.now()) {
    this.#behind = Math.max(0, Date.now() - since);
  }

  now(): number {
    return Date.now() - this.#behind;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = ++this.#ids;
    const timer = { at: this.now() + ms, ms, callback, real: setTimeout(() => this.#fire(id), ms) };
    this.#timers.set(id, timer);
    return id;
  }

  clearTimeout(handle: unknown): void {
    clearTimeout(this.#timers.get(handle as number)?.real);
    this.#timers.delete(handle as number);
  }

  /** True while a timer of the client's "at once" work is pending. */
  get soon(): boolean {
    for (const timer of this.#timers.values()) if (timer.ms < SOON_MS) return true;
    return false;
  }

  /**
   * Moves the clock to the page's time, running every timer that falls due on the way, in
   * order; before each, waits for `settled` (the answers of the last one have landed).
   */
  async catchUp(settled: () => Promise<void>): Promise<void> {
    for (;;) {
      await settled();
      let next: [number, Timer] | undefined;
      for (const entry of this.#timers) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next || next[1].at > Date.now()) break;
      this.#move(next[1].at);
      this.#fire(next[0]);
    }
    this.#move(Date.now());
  }

  /** Sets the clock to `to` (never back), and re-plans the pending timers on the page's time. */
  #move(to: number) {
    this.#behind = Math.max(0, Math.min(this.#behind, Date.now() - to));
    for (const [id, timer] of this.#timers) {
      clearTimeout(timer.real);
      timer.real = setTimeout(() => this.#fire(id), Math.max(0, timer.at - this.now()));
    }
  }

  #fire(id: number) {
    const timer = this.#timers.get(id);
    if (!timer) return;
    this.#timers.delete(id);
    clearTimeout(timer.real);
    timer.callback();
  }
}
