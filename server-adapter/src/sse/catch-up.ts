import type { JobSnapshot } from '@job-status/protocol';
import { JobEvent, formatEventId } from '@job-status/protocol';
import { publicSnapshot } from '../stores/store.js';
import type { JobStore, StoredJob } from '../stores/store.js';
import { encodeFrame } from './frame.js';
import type { ReplayBudget } from './replay-budget.js';
import { isScoped } from './session.js';
import type { SseSession } from './session.js';

/** Events read from the store per round while replaying. */
const REPLAY_PAGE = 100;
/** Snapshots a stream gets at most after a resync, besides the jobs it names. */
const RESYNC_MAX_JOBS = 1000;
/** How long a replay waits for a reader that takes nothing before cutting it off. */
export const REPLAY_STALL_MS = 30_000;
const encoder = new TextEncoder();

export interface CatchUpOptions<P> {
  store: JobStore;
  /** Shares the replays of the process out, and bounds what they leave waiting. */
  budget: ReplayBudget;
  /** Reads the current snapshots of the named jobs. */
  snapshots: (jobIds: readonly string[]) => Promise<JobSnapshot[]>;
  /** True when the stream's caller may see the job. */
  visible: (session: SseSession<P>, snapshot: JobSnapshot) => boolean;
  /** True when the stream carries the job: its filter matches and its caller may see it. */
  carries: (session: SseSession<P>, snapshot: JobSnapshot) => boolean;
}

/**
 * What a stream gets before its live events: the replay of the stored events after its
 * resume point, or, when that cannot be replayed, the current snapshots of the jobs it
 * carries. Both go at the pace the reader takes them.
 */
export class CatchUp<P> {
  readonly #options: CatchUpOptions<P>;

  constructor(options: CatchUpOptions<P>) {
    this.#options = options;
  }

  /**
   * Sends the stored events after `after`; returns the last seq covered, or null when they
   * are gone. A long absence can mean more to replay than the slow-reader bound: it goes
   * as fast as the client reads (sending it all at once would cut the stream, and the
   * same replay would cut the next one too). While the reader has no room, the replay
   * holds nothing but its position: it reads the store again once there is room.
   */
  async replay(session: SseSession<P>, epoch: string, after: number): Promise<number | null> {
    let position = after;
    for (;;) {
      if (!(await session.room(this.#options.budget.window, REPLAY_STALL_MS))) return position;
      await this.#options.budget.turn();
      if (session.closed) return position;
      const events = await this.#options.store.readEvents(position, REPLAY_PAGE);
      if (events === null) return null;
      let full = false;
      for (const { seq, snapshot } of events) {
        if (this.#options.carries(session, snapshot)) {
          if (session.sink.buffered > this.#options.budget.window) {
            full = true;
            break;
          }
          session.send(updateFrame(epoch, seq, snapshot));
        }
        position = seq;
      }
      if (session.closed || (!full && events.length < REPLAY_PAGE)) return position;
    }
  }

  /**
   * The `job-update` frames (without `id:`) of the current snapshot of each `job=` the
   * caller may see, as one text: a fresh stream sends them with the rest of its opening.
   */
  async snapshotFrames(session: SseSession<P>): Promise<string> {
    if (!session.filter.jobs.size) return '';
    let frames = '';
    for (const snapshot of await this.#options.snapshots([...session.filter.jobs])) {
      if (this.#options.visible(session, snapshot)) frames += snapshotFrame(snapshot);
    }
    return frames;
  }

  /**
   * After a resync, a scoped or unfiltered stream gets the current snapshot of each job it
   * carries that is busy or changed after `after` (numbers only grow, across epochs too),
   * the most recently updated first found, at most RESYNC_MAX_JOBS; sent in log order, at
   * the reader's pace. Named jobs already went out with their snapshots.
   */
  async sendChangedSince(session: SseSession<P>, after: number) {
    const { filter } = session;
    if (!isScoped(filter) && filter.jobs.size) return;
    const { store } = this.#options;
    const found = new Map<string, JobSnapshot>();
    const keep = (job: StoredJob) => {
      if (found.size >= RESYNC_MAX_JOBS || filter.jobs.has(job.job_id)) return;
      const snapshot = publicSnapshot(job);
      if (this.#options.carries(session, snapshot)) found.set(job.job_id, snapshot);
    };
    for (const job of await store.listBusy()) keep(job);
    const query = { kinds: [...filter.kinds], targets: [...filter.targets], states: [...(filter.states ?? [])], sort: 'updated_desc' as const, limit: 100 };
    let cursor: string | undefined;
    while (found.size < RESYNC_MAX_JOBS) {
      const page = await store.list({ ...query, cursor });
      const newer = page.jobs.filter((job) => job.seq > after);
      newer.forEach(keep);
      // Updated in order: a page with nothing newer means the rest is older still (give or take a clock step).
      if (!newer.length || page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    for (const snapshot of [...found.values()].sort((a, b) => a.seq - b.seq)) {
      if (!(await session.room(this.#options.budget.window, REPLAY_STALL_MS))) return;
      session.send(snapshotFrame(snapshot));
    }
  }
}

/**
 * A `job-update` frame without an event id. JSON text holds no line break (JSON.stringify
 * escapes them), so the payload is one `data:` line: the frame `encodeFrame` would make.
 */
export function snapshotFrame(snapshot: JobSnapshot): string {
  return `event: ${JobEvent.update}\ndata: ${JSON.stringify(snapshot)}\n\n`;
}

/** A `job-update` frame with its event id, encoded. */
export function updateFrame(epoch: string, seq: number, snapshot: JobSnapshot): Uint8Array {
  return encoder.encode(encodeFrame({ event: JobEvent.update, id: formatEventId({ epoch, seq }), data: JSON.stringify(snapshot) }));
}
