/**
 * Creation times that never go back. Which job of a kind and target is the newest (what a
 * tile follows, and the history's default order) is read from `created_at`; a server
 * clock stepped back (by NTP, by hand) would make a job created now look older than the
 * one before it. So each new job gets the later of the wall clock and one millisecond
 * after the newest creation time this process has seen, seeded from the store on start,
 * so a restart on a stepped-back clock keeps the order too. The price: until the clock
 * catches up, new jobs carry a creation time a little ahead of it.
 */
export class CreationClock {
  #last = 0;
  readonly #now: () => number;

  /** `now` reads the wall clock (milliseconds since the epoch). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Takes a creation time already in the store (the newest one) into account. */
  seed(iso: string | null | undefined): void {
    const at = iso ? Date.parse(iso) : Number.NaN;
    if (at > this.#last) this.#last = at;
  }

  /** The creation time of a job made now, as an ISO 8601 string. */
  next(): string {
    this.#last = Math.max(this.#now(), this.#last + 1);
    return new Date(this.#last).toISOString();
  }
}
