/** The least a stream that catches up may leave waiting for its reader, however many do. */
export const MIN_REPLAY_WINDOW = 16 * 1024;
/** Pages that catching-up streams may read and send between two turns of the event loop. */
const PAGES_PER_TURN = 4;

/**
 * What the streams that catch up from the store (a replay, a log backlog, the snapshots
 * after a resync) may hold in memory, all together: each may leave at most its window
 * waiting for its reader, and the windows of all of them add up to at most `totalBytes`.
 * A stream waits for its reader with nothing else held (it reads the store again when
 * there is room), so a thousand readers that never read cost a thousand small windows,
 * not a thousand pages of events.
 *
 * Their work is also shared out: a store that answers at once (SQLite) would otherwise
 * let one replay run through its whole backlog into the socket's kernel buffer without
 * ever yielding, while new connections and live events wait. Each page waits for a
 * {@link turn}; a few pages go per turn of the event loop, first come first served.
 */
export class ReplayBudget {
  readonly #totalBytes: number;
  readonly #maxWindow: number;
  #active = 0;
  readonly #turns: Array<() => void> = [];
  #granting = false;

  /**
   * @param totalBytes what all catching-up streams of the process may leave waiting.
   * @param maxWindow what one may leave waiting (half the slow-reader bound).
   */
  constructor(totalBytes: number, maxWindow: number) {
    this.#totalBytes = totalBytes;
    this.#maxWindow = Math.max(MIN_REPLAY_WINDOW, maxWindow);
  }

  /** Streams catching up now. */
  get active() {
    return this.#active;
  }

  /** False when the process already holds as many catching-up streams as it can: the caller resyncs instead. */
  get hasRoom() {
    return (this.#active + 1) * MIN_REPLAY_WINDOW <= this.#totalBytes;
  }

  /** Bytes one stream may leave waiting for its reader now: a share of the total. */
  get window() {
    return Math.max(MIN_REPLAY_WINDOW, Math.min(this.#maxWindow, Math.floor(this.#totalBytes / Math.max(1, this.#active))));
  }

  /** Resolves when the caller may read and send one page: a few per turn of the event loop. */
  turn(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#turns.push(resolve);
      this.#grant();
    });
  }

  #grant() {
    if (this.#granting) return;
    this.#granting = true;
    setImmediate(() => {
      this.#granting = false;
      for (const resolve of this.#turns.splice(0, PAGES_PER_TURN)) resolve();
      if (this.#turns.length) this.#grant();
    });
  }

  /** Runs `work` as one catching-up stream. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#active++;
    try {
      return await work();
    } finally {
      this.#active--;
    }
  }
}
