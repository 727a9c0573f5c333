import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { JobEvent, formatEventId, parseEventId } from '@job-status/protocol';
import type { JobBus } from '../buses/bus.js';
import { JobStatusError } from '../errors.js';
import { publicSnapshot } from '../stores/store.js';
import type { JobStore, StoredJob } from '../stores/store.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import { EventFeed } from './event-feed.js';
import { encodeFrame } from './frame.js';
import { LogFollowers } from './log-followers.js';
import { ReplayBudget } from './replay-budget.js';
import { SseSession, isScoped, matchesFilter } from './session.js';
import { webStreamSink } from './sink.js';
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
   * Where the bytes go, made once the stream is accepted (a refused one answers JSON).
   * Default: a web `ReadableStream`, the session's `sink.readable`.
   */
  sink?: (gone: () => void) => SseSink;
}

/** How long a browser waits before reconnecting, sent once per stream. */
const RETRY_MS = 3000;
/** Events read from the store per round while replaying. */
const REPLAY_PAGE = 100;
/** Snapshots a stream gets at most after a resync, besides the jobs it names. */
const RESYNC_MAX_JOBS = 1000;
/** How long a replay waits for a reader that takes nothing before cutting it off. */
const REPLAY_STALL_MS = 30_000;
const encoder = new TextEncoder();

/**
 * Fans job changes out to open streams. Each change is serialized once, however many
 * streams receive it, and the streams that may carry it are found by index (job id,
 * kind, target), not by scanning every stream.
 */
export class SseHub<P> {
  readonly #options: SseHubOptions<P>;
  readonly #byJob = new Map<string, Set<SseSession<P>>>();
  readonly #byKind = new Map<string, Set<SseSession<P>>>();
  readonly #byTarget = new Map<string, Set<SseSession<P>>>();
  readonly #byState = new Map<string, Set<SseSession<P>>>();
  readonly #logs: LogFollowers;
  readonly #budget: ReplayBudget;
  readonly #unfiltered = new Set<SseSession<P>>();
  readonly #perCaller = new Map<string, number>();
  readonly #sessions = new Set<SseSession<P>>();
  readonly #unsubscribe: () => void;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #feed: EventFeed;
  /** Resolves with the epoch once the feed knows where the log stands; retried after a failure. */
  #starting: Promise<string> | null = null;
  /** Called by a session that closes; one function for all of them. */
  readonly #closed = (session: SseSession<P>, reason: string) => this.#remove(session, reason);
  /** What every stream starts with (the reconnection delay and a heartbeat), encoded once. */
  readonly #opening: Uint8Array;
  #epoch: string | null = null;

  constructor(options: SseHubOptions<P>) {
    this.#options = options;
    // Streams get the log in order and without holes, whatever the bus did on the way.
    this.#feed = new EventFeed(options.store, (seq, snapshot) => this.#broadcast(seq, snapshot), () => this.#resyncAll());
    this.#ready().catch(() => undefined);
    this.#budget = new ReplayBudget(options.maxReplayBytes, options.maxBufferedBytes / 2);
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
    this.#opening = encoder.encode(encodeFrame({ retry: RETRY_MS }) + encodeFrame({ event: JobEvent.heartbeat, data: JSON.stringify({ interval_ms: options.heartbeatMs }) }));
    this.#heartbeat = setInterval(() => {
      for (const session of this.#sessions) if (!session.pending) session.send(beat);
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
    const count = this.#perCaller.get(callerId) ?? 0;
    if (count >= this.#options.maxStreamsPerCaller) {
      throw new JobStatusError(429, 'too_many_streams', `At most ${this.#options.maxStreamsPerCaller} streams per caller are allowed; close one first.`);
    }
    const resumeFrom = options.lastEventId === null ? null : parseEventId(options.lastEventId);
    if (options.lastEventId !== null && !resumeFrom) {
      throw new JobStatusError(400, 'invalid_last_event_id', 'Last-Event-ID: expected an event id this server sent, such as "a1b2c3-42"');
    }
    const epoch = await this.#ready();
    const { maxBufferedBytes } = this.#options;
    const makeSink = options.sink ?? ((gone: () => void) => webStreamSink(maxBufferedBytes, gone));
    const session = new SseSession<P>(options.principal, callerId, options.filter, maxBufferedBytes, this.#closed, makeSink);
    this.#add(session);
    options.signal?.addEventListener('abort', () => session.close('disconnected'), { once: true });

    session.send(this.#opening);
    try {
      let position: number;
      // A replay the process has no room for is served as a resync: the snapshots say the same in less.
      const replayable = resumeFrom && resumeFrom.epoch === epoch && this.#budget.hasRoom;
      // A replay may wait its turn: the client gets the opening of its stream meanwhile.
      if (replayable) session.sink.flush?.();
      const replayed = replayable ? await this.#budget.run(() => this.#replay(session, epoch, resumeFrom.seq)) : null;
      if (replayed !== null) {
        position = replayed;
      } else {
        position = await this.#options.store.head();
        if (resumeFrom) session.send(encodeFrame({ event: JobEvent.resync, data: '{}' }));
        await this.#sendSnapshots(session);
        if (resumeFrom) await this.#budget.run(() => this.#sendChangedSince(session, resumeFrom.seq));
      }
      // Live events that the replay or the snapshots already covered are dropped.
      const pending = session.pending ?? [];
      session.pending = null;
      session.send(encodeFrame({ event: JobEvent.ready, id: formatEventId({ epoch, seq: position }), data: '{}' }));
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

  /**
   * Sends the stored events after `after`; returns the last seq covered, or null when they
   * are gone. A long absence can mean more to replay than the slow-reader bound: it goes
   * as fast as the client reads (sending it all at once would cut the stream, and the
   * same replay would cut the next one too). While the reader has no room, the replay
   * holds nothing but its position: it reads the store again once there is room.
   */
  async #replay(session: SseSession<P>, epoch: string, after: number): Promise<number | null> {
    let position = after;
    for (;;) {
      if (!(await session.room(this.#budget.window, REPLAY_STALL_MS))) return position;
      await this.#budget.turn();
      if (session.closed) return position;
      const events = await this.#options.store.readEvents(position, REPLAY_PAGE);
      if (events === null) return null;
      let full = false;
      for (const { seq, snapshot } of events) {
        if (this.#carries(session, snapshot)) {
          if (session.sink.buffered > this.#budget.window) {
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

  async #sendSnapshots(session: SseSession<P>) {
    if (!session.filter.jobs.size) return;
    for (const snapshot of await this.#options.snapshots([...session.filter.jobs])) {
      if (this.#visible(session, snapshot)) {
        session.send(encodeFrame({ event: JobEvent.update, data: JSON.stringify(snapshot) }));
      }
    }
  }

  /**
   * After a resync, a scoped or unfiltered stream gets the current snapshot of each job it
   * carries that is busy or changed after `after` (numbers only grow, across epochs too),
   * the most recently updated first found, at most RESYNC_MAX_JOBS; sent in log order, at
   * the reader's pace. Named jobs already went out with their snapshots.
   */
  async #sendChangedSince(session: SseSession<P>, after: number) {
    const { filter } = session;
    if (!isScoped(filter) && filter.jobs.size) return;
    const { store } = this.#options;
    const found = new Map<string, JobSnapshot>();
    const keep = (job: StoredJob) => {
      if (found.size >= RESYNC_MAX_JOBS || filter.jobs.has(job.job_id)) return;
      const snapshot = publicSnapshot(job);
      if (this.#carries(session, snapshot)) found.set(job.job_id, snapshot);
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
      if (!(await session.room(this.#budget.window, REPLAY_STALL_MS))) return;
      session.send(encodeFrame({ event: JobEvent.update, data: JSON.stringify(snapshot) }));
    }
  }

  #broadcast(seq: number, snapshot: JobSnapshot) {
    if (this.#epoch === null || !this.#sessions.size) return;
    let chunk: Uint8Array | null = null;
    const frame = () => (chunk ??= updateFrame(this.#epoch!, seq, snapshot));
    // A filtered stream may sit in several indexes (a job= and a kind=): offer it once.
    const byJob = this.#byJob.get(snapshot.job_id);
    const byKind = this.#byKind.get(snapshot.kind);
    const byTarget = snapshot.target === null ? undefined : this.#byTarget.get(snapshot.target);
    const byState = this.#byState.get(snapshot.state);
    const indexed = Number(!!byJob) + Number(!!byKind) + Number(!!byTarget) + Number(!!byState);
    if (indexed === 1) {
      // One index holds every stream to offer (the usual case, such as many streams on one
      // job): each is in it once, so there is nothing to deduplicate.
      for (const session of (byJob ?? byKind ?? byTarget ?? byState)!) {
        if (this.#carries(session, snapshot)) session.deliver(seq, frame());
      }
    } else if (indexed > 1) {
      const seen = new Set<SseSession<P>>();
      for (const sessions of [byJob, byKind, byTarget, byState]) {
        if (!sessions) continue;
        for (const session of sessions) {
          if (seen.has(session)) continue;
          seen.add(session);
          if (this.#carries(session, snapshot)) session.deliver(seq, frame());
        }
      }
    }
    // Unfiltered streams are in no other index, and carry every job the caller may see.
    const { canSee } = this.#options;
    for (const session of this.#unfiltered) {
      if (!canSee || canSee(session.principal, snapshot)) session.deliver(seq, frame());
    }
  }

  /** Events this hub still owed were pruned: every stream reconnects and resumes (or resyncs). */
  #resyncAll() {
    for (const session of [...this.#sessions]) session.close('resync');
  }

  #carries(session: SseSession<P>, snapshot: JobSnapshot) {
    return matchesFilter(session.filter, snapshot) && this.#visible(session, snapshot);
  }

  #visible(session: SseSession<P>, snapshot: JobSnapshot) {
    return !this.#options.canSee || this.#options.canSee(session.principal, snapshot);
  }

  #add(session: SseSession<P>) {
    const { jobs, kinds, targets, states = new Set() } = session.filter;
    this.#sessions.add(session);
    this.#perCaller.set(session.callerId, (this.#perCaller.get(session.callerId) ?? 0) + 1);
    for (const id of jobs) addTo(this.#byJob, id, session);
    // A scope is indexed by its kinds, or by its targets when it names no kind, or by its states.
    if (kinds.size) for (const kind of kinds) addTo(this.#byKind, kind, session);
    else if (targets.size) for (const target of targets) addTo(this.#byTarget, target, session);
    else for (const state of states) addTo(this.#byState, state, session);
    if (!jobs.size && !kinds.size && !targets.size && !states.size) this.#unfiltered.add(session);
  }

  #remove(session: SseSession<P>, reason: string) {
    if (!this.#sessions.delete(session)) return;
    this.#options.telemetry.streamClosed(reason);
    const left = (this.#perCaller.get(session.callerId) ?? 1) - 1;
    if (left > 0) this.#perCaller.set(session.callerId, left);
    else this.#perCaller.delete(session.callerId);
    const { jobs, kinds, targets, states = [] } = session.filter;
    for (const id of jobs) removeFrom(this.#byJob, id, session);
    for (const kind of kinds) removeFrom(this.#byKind, kind, session);
    for (const target of targets) removeFrom(this.#byTarget, target, session);
    for (const state of states) removeFrom(this.#byState, state, session);
    this.#unfiltered.delete(session);
    this.#logs.drop(session);
  }

  /** Ends every stream (clients reconnect elsewhere and resume) and stops the heartbeat. */
  close() {
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const session of [...this.#sessions]) session.close('server-closing');
  }
}

function updateFrame(epoch: string, seq: number, snapshot: JobSnapshot): Uint8Array {
  return encoder.encode(encodeFrame({ event: JobEvent.update, id: formatEventId({ epoch, seq }), data: JSON.stringify(snapshot) }));
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V) {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V) {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (!set.size) index.delete(key);
}
