import type { JobLogLine } from '@job-status/protocol';
import { LogTail } from './log-tail.js';
import type { LogTailSource } from './log-tail.js';
import type { SseSession } from './session.js';

/**
 * Every `log=` tail of a hub's streams, indexed by job: hands each tail the lines the bus
 * brings for its job, and reads from the store what the bus never brought.
 */
export class LogFollowers {
  readonly #source: LogTailSource;
  readonly #byJob = new Map<string, Set<LogTail>>();
  readonly #bySession = new Map<SseSession<any>, LogTail[]>();

  constructor(source: LogTailSource) {
    this.#source = source;
  }

  /** Follows the log of each job, from the line after the one the client holds; the stored lines go first, in the background. */
  follow(session: SseSession<any>, from: ReadonlyArray<[jobId: string, after: number]>) {
    if (!from.length || session.closed) return;
    const tails = from.map(([jobId, after]) => new LogTail(session, jobId, after, this.#source));
    this.#bySession.set(session, tails);
    for (const tail of tails) {
      let set = this.#byJob.get(tail.jobId);
      if (!set) this.#byJob.set(tail.jobId, (set = new Set()));
      set.add(tail);
      void tail.start();
    }
  }

  /** Lines from the bus, stored up to `lastSeq`. */
  offer(jobId: string, lines: readonly JobLogLine[], lastSeq: number) {
    for (const tail of this.#byJob.get(jobId) ?? []) tail.offer(lines, lastSeq);
  }

  /**
   * Lines the bus never brought (an outage, a message too large for it): one read per
   * followed job tells whether a tail is behind, and those read what they miss.
   */
  async sync() {
    for (const [jobId, tails] of this.#byJob) {
      const behind = Math.min(...[...tails].map((tail) => tail.cursor));
      try {
        const [next] = await this.#source.read(jobId, behind, 1);
        if (next) for (const tail of tails) if (tail.cursor < next.seq) void tail.catchUp();
      } catch (error) {
        this.#source.failed(error);
        return;
      }
    }
  }

  /** Stops following for a stream that closed. */
  drop(session: SseSession<any>) {
    for (const tail of this.#bySession.get(session) ?? []) {
      const set = this.#byJob.get(tail.jobId);
      set?.delete(tail);
      if (set && !set.size) this.#byJob.delete(tail.jobId);
    }
    this.#bySession.delete(session);
  }
}
