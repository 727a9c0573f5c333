import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { JobEvent, formatEventId, parseEventId } from '@job-status/protocol';
import type { JobBus } from '../buses/bus.js';
import { JobStatusError } from '../errors.js';
import type { JobStore } from '../stores/store.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import { CatchUp, REPLAY_STALL_MS, updateFrame } from './catch-up.js';
import { EventFeed } from './event-feed.js';
import { encodeFrame } from './frame.js';
import { LogFollowers } from './log-followers.js';
import { ReplayBudget } from './replay-budget.js';
import { SessionIndex } from './session-index.js';
import { SseSession, matchesFilter } from './session.js';
import type { SseSink } from './sink.js';
import type { StreamFilter } from './session.js';

export interface SseHubOptions<P> {
  store: JobStore;
  bus: JobBus;
  /** Resolves with the event log's epoch once the store is open. */
  epoch: Promise<string>;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** What the replays of the process may leave waiting for their readers, all together. */
  maxReplayBytes: number;
  maxStreamsPerCaller: number;
  canSee: ((principal: P, job: JobSnapshot) => boolean) | undefined;
  /** Reads the current snapshots of the named jobs. */
  snapshots: (jobIds: readonly string[]) => Promise<JobSnapshot[]>;
  /** Reads stored log lines of a job with `seq > after`, oldest first. */
  logs: (jobId: string, after: number, limit: number) => Promise<JobLogLine[]>;
  /** Where a failed read of the store is reported. */
  internal: (error: unknown) => void;
  /** Where closed streams (and why) are reported. */
  telemetry: JobStatusTelemetry;
}

export interface OpenStreamOptions<P> {
  principal: P;
  callerId: string;
  filter: StreamFilter;
  /**
   * Jobs whose log lines the stream carries (`log=`), each with the last line the client
   * holds. Each must also be in `filter.jobs`.
   */
  logs?: ReadonlyMap<string, number>;
  /** The client's resume point, as sent (header or query); null for a fresh stream. */
  lastEventId: string | null;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /**
   * Where the bytes go, made once the stream is accepted (a refused one answers JSON):
   * Node's response or a web stream, picked by `streamResponse` (`stream-response.ts`).
   */
  sink: (gone: () => void) => SseSink;
}

/** How long a browser waits before reconnecting, sent once per stream. */
const RETRY_MS = 3000;
const RESYNC_FRAME = encodeFrame({ event: JobEvent.resync, data: '{}' });
const encoder = new TextEncoder();

/**
 * Fans job changes out to open streams. Each change is serialized once, however many
 * streams receive it, and the streams that may carry it are found by index (job id,
 * kind, target), not by scanning every stream.
 */
export class SseHub<P> {
  readonly #options: SseHubOptions<P>;
  readonly #sessions = new SessionIndex<P>();
  readonly #logs: LogFollowers;
  readonly #budget: ReplayBudget;
  readonly #catchUp: CatchUp<P>;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #feed: EventFeed;
  /** Resolves with the epoch once the feed knows where the log stands; retried after a failure. */
  #starting: Promise<string> | null = null;
  /** Called by a session that closes; one function for all of them. */
  readonly #closed = (session: SseSession<P>, reason: string) => this.#remove(session, reason);
  /** What every stream starts with: the reconnection delay and a heartbeat. */
  readonly #opening: string;
  #epoch: string | null = null;

  constructor(options: SseHubOptions<P>) {
    this.#options = options;
    // Streams get the log in order and without holes, whatever the bus did on the way.
    this.#feed = new EventFeed(options.store, (seq, snapshot) => this.#broadcast(seq, snapshot), () => this.#resyncAll());
    this.#ready().catch(() => undefined);
    this.#budget = new ReplayBudget(options.maxReplayBytes, options.maxBufferedBytes / 2);
    this.#catchUp = new CatchUp({
      store: options.store,
      budget: this.#budget,
      snapshots: options.snapshots,
      visible: (session, snapshot) => this.#visible(session, snapshot),
      carries: (session, snapshot) => this.#carries(session, snapshot),
    });
    this.#logs = new LogFollowers({
      read: options.logs,
      room: async (session) => (await session.room(this.#budget.window, REPLAY_STALL_MS)) && (await this.#budget.turn(), !session.closed),
      hasRoom: (session) => session.sink.buffered <= this.#budget.window,
      eventBytes: Math.min(64 * 1024, this.#options.maxBufferedBytes / 8),
      failed: options.internal,
    });
    this.#unsubscribe = options.bus.subscribe((message) => {
      if (message.type === 'job') this.#feed.offer(message.snapshot);
      else if (message.type === 'log') this.#logs.offer(message.job_id, message.lines, message.last_seq);
    });
    const beat = encoder.encode(encodeFrame({ event: JobEvent.heartbeat, data: JSON.stringify({ interval_ms: options.heartbeatMs }) }));
    this.#opening = encodeFrame({ retry: RETRY_MS }) + encodeFrame({ event: JobEvent.heartbeat, data: JSON.stringify({ interval_ms: options.heartbeatMs }) });
    this.#heartbeat = setInterval(() => {
      for (const session of this.#sessions.sessions()) if (!session.pending) session.send(beat);
      // What the bus lost (an outage) reaches streams from the store within one interval.
      if (this.#sessions.size) void this.#feed.sync().catch(() => undefined);
      void this.#logs.sync();
    }, options.heartbeatMs);
    this.#heartbeat.unref?.();
  }

  /** Open streams, in all. */
  get size() {
    return this.#sessions.size;
  }

  /**
   * Opens a stream: a fresh one starts with the current snapshot of every `job=`; a
   * resumed one replays every event after its resume point that it may carry, or, when
   * that point cannot be replayed, sends `resync` and then the current snapshots. Then
   * a `ready` event marks the position in the log, and live events follow.
   */
  async open(options: OpenStreamOptions<P>): Promise<SseSession<P>> {
    const { callerId } = options;
    if (this.#sessions.countOf(callerId) >= this.#options.maxStreamsPerCaller) {
      throw new JobStatusError(429, 'too_many_streams', `At most ${this.#options.maxStreamsPerCaller} streams per caller are allowed; close one first.`);
    }
    const resumeFrom = options.lastEventId === null ? null : parseEventId(options.lastEventId);
    if (options.lastEventId !== null && !resumeFrom) {
      throw new JobStatusError(400, 'invalid_last_event_id', 'Last-Event-ID: expected an event id this server sent, such as "a1b2c3-42"');
    }
    // Known once the first stream opened: no promise to wait for after that.
    const epoch = this.#epoch ?? (await this.#ready());
    const { maxBufferedBytes } = this.#options;
    const filter = this.#sessions.shared(options.filter);
    const session = new SseSession<P>(options.principal, callerId, filter, maxBufferedBytes, this.#closed, options.sink);
    this.#sessions.add(session);
    options.signal?.addEventListener('abort', () => session.close('disconnected'), { once: true });

    // What the stream starts with is gathered as text and sent in one write: a fresh stream
    // (the common case) is then one encoding and one send, whatever it names.
    let opening = this.#opening;
    try {
      let position: number;
      // A replay the process has no room for is served as a resync: the snapshots say the same in less.
      const replayable = resumeFrom && resumeFrom.epoch === epoch && this.#budget.hasRoom;
      let replayed: number | null = null;
      if (replayable) {
        // A replay may wait its turn: the client gets the opening of its stream meanwhile.
        session.send(opening);
        opening = '';
        session.sink.flush?.();
        replayed = await this.#budget.run(() => this.#catchUp.replay(session, epoch, resumeFrom.seq));
      }
      if (replayed !== null) {
        position = replayed;
      } else {
        position = await this.#options.store.head();
        if (resumeFrom) opening += RESYNC_FRAME;
        opening += await this.#catchUp.snapshotFrames(session);
        if (resumeFrom) {
          session.send(opening);
          opening = '';
          await this.#budget.run(() => this.#catchUp.sendChangedSince(session, resumeFrom.seq));
        }
      }
      // Live events that the replay or the snapshots already covered are dropped.
      const pending = session.pending ?? [];
      session.pending = null;
      session.send(opening + encodeFrame({ event: JobEvent.ready, id: formatEventId({ epoch, seq: position }), data: '{}' }));
      for (const [seq, chunk] of pending) if (seq > position) session.send(chunk);
      session.sink.flush?.();
      await this.#followLogs(session, options.logs);
    } catch (error) {
      session.abort('replay-failed');
      throw error;
    }
    return session;
  }

  /**
   * Follows the log of each `log=` job the caller may see (an unknown or hidden job gets
   * no lines, and no error, like a `job=` that names one).
   */
  async #followLogs(session: SseSession<P>, logs: ReadonlyMap<string, number> | undefined) {
    if (!logs?.size || session.closed) return;
    const visible = (await this.#options.snapshots([...logs.keys()])).filter((job) => this.#visible(session, job));
    this.#logs.follow(session, visible.map((job) => [job.job_id, logs.get(job.job_id)!]));
  }

  #ready(): Promise<string> {
    if (this.#epoch !== null) return Promise.resolve(this.#epoch);
    return (this.#starting ??= this.#options.epoch
      .then(async (epoch) => {
        await this.#feed.start();
        return (this.#epoch = epoch);
      })
      .finally(() => (this.#starting = null)));
  }

  #broadcast(seq: number, snapshot: JobSnapshot) {
    if (this.#epoch === null || !this.#sessions.size) return;
    let chunk: Uint8Array | null = null;
    const frame = () => (chunk ??= updateFrame(this.#epoch!, seq, snapshot));
    const { canSee } = this.#options;
    this.#sessions.forCandidates(snapshot, (session, unfiltered) => {
      // An unfiltered stream carries every job the caller may see.
      if (unfiltered ? !canSee || canSee(session.principal, snapshot) : this.#carries(session, snapshot)) session.deliver(seq, frame());
    });
  }

  /** Events this hub still owed were pruned: every stream reconnects and resumes (or resyncs). */
  #resyncAll() {
    for (const session of [...this.#sessions.sessions()]) session.close('resync');
  }

  #carries(session: SseSession<P>, snapshot: JobSnapshot) {
    return matchesFilter(session.filter, snapshot) && this.#visible(session, snapshot);
  }

  #visible(session: SseSession<P>, snapshot: JobSnapshot) {
    return !this.#options.canSee || this.#options.canSee(session.principal, snapshot);
  }

  #remove(session: SseSession<P>, reason: string) {
    if (!this.#sessions.remove(session)) return;
    this.#options.telemetry.streamClosed(reason);
    this.#logs.drop(session);
  }

  /** Ends every stream (clients reconnect elsewhere and resume) and stops the heartbeat. */
  close() {
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const session of [...this.#sessions.sessions()]) session.close('server-closing');
  }
}
