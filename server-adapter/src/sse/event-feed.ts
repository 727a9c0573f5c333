import type { JobSnapshot } from '@job-status/protocol';
import type { JobStore } from '../stores/store.js';

/** Events read from the store per round while catching up. */
const PAGE = 500;

/**
 * Turns what the bus brings into the event log, in order and without holes, before the
 * hub hands it to streams.
 *
 * A bus may reorder messages (two instances publish at once), drop them (Redis restarts)
 * or deliver some twice. The store's log may not: an event's number is also its position,
 * and a client resumes "after N". So the feed delivers event N only after every event
 * before it: a message that arrives early makes the feed read the missing events from the
 * store (which has them: a number is committed in order), a message already delivered is
 * dropped, and `sync()` reads whatever the bus never brought.
 */
export class EventFeed {
  readonly #store: JobStore;
  readonly #deliver: (seq: number, snapshot: JobSnapshot) => void;
  readonly #lost: () => void;
  /** The newest event delivered; null until `start`. */
  #cursor: number | null = null;
  #catchingUp: Promise<void> | null = null;
  /** Bus messages that arrived during a catch-up; offered again after it. */
  #held: JobSnapshot[] = [];

  /**
   * @param deliver receives each event once, in log order.
   * @param lost is called when events the feed still owed were pruned before it could
   *   read them; streams must then resync.
   */
  constructor(store: JobStore, deliver: (seq: number, snapshot: JobSnapshot) => void, lost: () => void) {
    this.#store = store;
    this.#deliver = deliver;
    this.#lost = lost;
  }

  /** Starts at the log's head: what came before is replayed from the store by each stream. */
  async start() {
    this.#cursor = await this.#store.head();
  }

  /** A change from the bus. */
  offer(snapshot: JobSnapshot) {
    if (this.#cursor === null) return;
    if (this.#catchingUp) {
      this.#held.push(snapshot);
      return;
    }
    if (snapshot.seq <= this.#cursor) return;
    if (snapshot.seq === this.#cursor + 1) {
      this.#cursor = snapshot.seq;
      this.#deliver(snapshot.seq, snapshot);
      return;
    }
    void this.#catchUp(snapshot.seq);
  }

  /** Delivers, from the store, every event the bus has not brought yet (an outage, a lost message). */
  async sync() {
    if (this.#cursor === null) return;
    if (this.#catchingUp) return this.#catchingUp;
    const head = await this.#store.head();
    if (head > this.#cursor && !this.#catchingUp) await this.#catchUp(head);
  }

  #catchUp(target: number): Promise<void> {
    let failed = false;
    this.#catchingUp = (async () => {
      try {
        while (this.#cursor! < target) {
          const events = await this.#store.readEvents(this.#cursor!, PAGE);
          if (events === null) {
            this.#cursor = await this.#store.head();
            this.#lost();
            return;
          }
          for (const { seq, snapshot } of events) {
            if (seq <= this.#cursor!) continue;
            this.#cursor = seq;
            this.#deliver(seq, snapshot);
          }
          // A short page is the end of the log: numbers up to `target` without an event
          // were never used (or belong to pruned jobs).
          if (events.length < PAGE) this.#cursor = Math.max(this.#cursor!, target);
        }
      } catch {
        // The store did not answer: the next `sync()` tries again.
        failed = true;
      } finally {
        this.#catchingUp = null;
        const held = this.#held.splice(0).sort((a, b) => a.seq - b.seq);
        if (!failed) for (const snapshot of held) this.offer(snapshot);
      }
    })();
    return this.#catchingUp;
  }
}
