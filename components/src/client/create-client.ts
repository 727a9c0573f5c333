import type { EnqueueResponse, JobSnapshot } from '@job-status/protocol';
import { clampInterval, DEBOUNCE } from './delays.js';
import type { JobStatusError } from './job-status-error.js';
import { observePage } from './page-lifecycle.js';
import { createPoller } from './poller.js';
import { createRequest } from './request.js';
import type { RequestInit } from './request.js';
import { createStreamChannel } from './stream-channel.js';
import { streamQuery } from './stream-query.js';
import { createSubjects, hasWork } from './subjects.js';
import type { Wants } from './subjects.js';
import { shareTabs } from './tab-sharing.js';
import type { Batch } from './tab-sharing.js';
import type { ConnectionState, JobStatusClient, JobStatusClientOptions, JobStatusClock } from './types.js';

const enc = encodeURIComponent;
const systemClock: JobStatusClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/**
 * Creates the browser client of one job-status middleware. Create one per page (or per
 * base URL) and share it: it holds one event stream for every watched job (one per
 * browser: tabs on the same base URL share it, see `shareAcrossTabs`), falls back to
 * polling when the stream is unavailable, pauses while every tab is hidden, and delivers
 * updates in batches, at most one per display frame (16 ms).
 *
 * @example
 * const client = createJobStatusClient({ baseUrl: '/api/admin/jobs' });
 * const { job_id } = await client.enqueue('sync.push', {}, { target: 'peer-a' });
 * const stop = client.watch(job_id, (u) => { if (u.type === 'snapshot') render(u.snapshot); });
 */
export function createJobStatusClient(options: JobStatusClientOptions): JobStatusClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const interval = clampInterval(options.interval);
  const clock = options.clock ?? systemClock;
  const ES = options.EventSource === undefined ? globalThis.EventSource : options.EventSource;
  const connection = Object.assign(new EventTarget(), {
    state: 'paused' as ConnectionState,
    error: null as JobStatusError | null,
    stale: false,
    lastUpdateAt: null as number | null,
  });
  let closed = false;
  let hidden = false;
  let offline = false;
  let debounce: unknown;
  let stopPage: (() => void) | undefined;
  /**
   * A stream that names no job (more busy jobs than the server takes in one request) sends
   * no snapshots when it opens: one poll of every watched job then catches up on what
   * changed before it did.
   */
  let catchUp = false;

  const subjects = createSubjects(soon);
  const request = createRequest(base, options.fetch ?? ((input, init) => fetch(input, init)), (r) => poller.inspect(r));
  const poller = createPoller(clock, interval, request, {
    targets() {
      if (stopped()) return;
      const [ids, scopes] = subjects.unloaded();
      const urgent = ids.length + scopes.length > 0;
      // Only the source polls for the group, and only while no stream is live (or once to catch up).
      if (!source() || (stream?.live && !catchUp)) return { ids, scopes, urgent };
      const all = union();
      return { ids: all.ids, scopes: all.scopes, urgent };
    },
    known: (id) => subjects.known.has(id),
    answer(snapshots, gone, scope) {
      emit({ snapshots, gone });
      if (scope) subjects.loaded(scope);
    },
    done(error) {
      if (!error) catchUp = false;
      if (!error && source()) connection.lastUpdateAt = clock.now();
      if (error?.status === 401 || error?.status === 403) fail(error);
      sync();
    },
  });
  const stream =
    ES &&
    createStreamChannel(ES, base, clock, {
      alive(first) {
        connection.lastUpdateAt = clock.now();
        if (!first) return;
        // Live: the stream's success also ends any polling backoff.
        poller.reset();
        if (union().ids.length > poller.maxIds) catchUp = poller.wake = true;
        sync();
      },
      snapshot: (s) => emit({ snapshots: [s] }),
      lines: (id, lines) => emit({ lines: [id, lines] }),
      resync: () => emit({ resync: true }),
      changed: sync,
    });
  const group =
    options.shareAcrossTabs === false
      ? undefined
      : shareTabs(base, clock, {
          changed: sync,
          batch: apply,
          fatal(error) {
            if (subjects.fatal !== error) subjects.fatal = error;
          },
          wake() {
            subjects.fatal = undefined;
            // Once, even while live: a follower that just joined missed the batches before.
            catchUp = poller.wake = true;
          },
          status: () => [connection.state, connection.error, connection.stale, connection.lastUpdateAt, stream?.lastId],
        });
  /** This tab fetches: alone, while the election runs, or as the leader. */
  const source = () => group?.leading !== false;
  /** Nobody in the group looks: this tab is hidden, and so is every follower. */
  const unseen = () => hidden && !(group?.leading && group.seen);
  const stopped = () => closed || !!subjects.fatal || offline || unseen();

  /** Hands what the source received to this tab and, from a leader, to every other tab. */
  function emit(batch: Batch) {
    batch.id = stream?.lastId;
    group?.publish(batch);
    apply(batch);
  }

  function apply({ snapshots, gone, lines, resync, id }: Batch) {
    if (stream && id) stream.lastId = id;
    if (resync) {
      // Seqs may restart in a new log: forget every snapshot, and fetch each watched job again.
      subjects.resync();
      poller.plan();
    }
    for (const s of snapshots ?? []) subjects.accept(s);
    for (const jobId of gone ?? []) subjects.gone(jobId);
    if (lines) {
      if (stream) stream.logSeq[lines[0]] = lines[1].at(-1)?.seq ?? 0;
      subjects.lines(...lines);
    }
  }

  /** A 401/403: every tab stops, until a tab comes back into view or online. */
  function fail(error: JobStatusError) {
    subjects.fatal = error;
    group?.fail(error);
  }

  /** What the source fetches: this tab's wants, and a leader's followers'. */
  function union(): Wants {
    const all = subjects.wants();
    if (group?.leading) group.union(all);
    const scopes = new Map(all.scopes.map((s) => [JSON.stringify([s.kind, s.target]), s]));
    return { ...all, ids: [...new Set(all.ids)], scopes: [...scopes.values()] };
  }

  function soon() {
    debounce ??= clock.setTimeout(sync, DEBOUNCE);
  }

  /** Brings stream, polling, page listeners, the group and the connection state in line with what is watched. */
  function sync() {
    if (debounce !== undefined) clock.clearTimeout(debounce);
    debounce = undefined;
    const mine = subjects.wants();
    const all = source() ? union() : mine;
    const work = !closed && hasWork(all);
    if (work && !stopPage) {
      hidden = !!globalThis.document?.hidden;
      offline = globalThis.navigator?.onLine === false;
      stopPage = observePage(clock, (why) => {
        if (why === 'offline') offline = true;
        else hidden = true;
        sync();
      }, () => {
        if (!hidden && !offline && !subjects.fatal) return;
        hidden = offline = false;
        subjects.fatal = undefined; // coming back is a reason to try once more, even after a 401/403
        poller.wake = true;
        group?.resume();
        sync();
      });
    }
    if (!work && stopPage) {
      stopPage();
      stopPage = undefined;
    }
    const halt = !work || stopped();
    // While the election runs (a few ms), a tab loads what it watches but opens no stream:
    // most tabs turn out followers, and the server should see one stream per browser.
    if (halt || !source()) stream?.stop();
    else if (!group || group.leading !== undefined) stream?.want(streamQuery(all, poller.maxIds), all.logs);
    if (halt) poller.stop();
    else poller.plan();

    const fatal = subjects.fatal;
    const live = stream?.live;
    let state: ConnectionState =
      closed || fatal || offline ? 'offline'
      : !work || unseen() ? 'paused'
      : live ? 'live'
      : poller.failures > 2 ? 'backoff'
      : (stream?.open || (group && group.leading === undefined)) && !stream?.failures ? connection.state // not known yet
      : 'polling';
    let error = closed ? null : fatal ?? (live ? null : poller.error ?? stream?.error ?? null);
    let stale = !closed && !fatal && (offline || state === 'backoff' || (state === 'polling' && !!poller.error));
    if (!source() && state !== 'offline' && state !== 'paused') {
      // A follower shows the group's connection, once the leader has said how it is.
      const mirror = group!.mirror;
      if (mirror) [state, error, stale, connection.lastUpdateAt] = mirror;
      else state = connection.state;
    }
    const changed = state !== connection.state || error?.message !== connection.error?.message || stale !== connection.stale;
    if (changed) {
      connection.state = state;
      connection.error = error;
      connection.stale = stale;
      connection.dispatchEvent(new Event('change'));
    }
    group?.update(mine, work, hidden, changed);
  }

  function subscribe(key: unknown, subject: Parameters<typeof subjects.add>[1], listener?: Parameters<typeof subjects.add>[2]) {
    return closed ? () => {} : subjects.add(key, subject, listener);
  }

  /** A request whose answer is a snapshot the client takes in. */
  const snapshotOf = async <T>(path: string, init: RequestInit, pick: (answer: T) => JobSnapshot) => {
    const answer = await request<T>(path, init);
    subjects.accept(pick(answer), true);
    return answer;
  };
  const self = (s: JobSnapshot) => s;

  return {
    baseUrl: base,
    interval,
    connection,
    watch: (jobId, listener) => subscribe(jobId, { type: 'job', id: jobId, listeners: new Map() }, listener),
    watchScope: ({ kind, target = null }, listener) =>
      subscribe(JSON.stringify([kind, target]), { type: 'scope', kind, target, id: null, loaded: false, listeners: new Map() }, listener),
    watchLogs: (jobId, after, listener) =>
      subscribe({}, { type: 'log', id: jobId, after, started: false, listener, batch: [] }),
    watchJobs: (filter, listener) =>
      subscribe({}, { type: 'jobs', filter: { ...filter }, listener, seen: new Map(), batch: [] }),
    enqueue: (kind, input, { target, idempotencyKey, signal } = {}) =>
      snapshotOf<EnqueueResponse>('', {
        method: 'POST',
        body: { kind, input, target },
        headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
        signal,
      }, (answer) => answer.initial_status),
    get: (jobId, { signal } = {}) => snapshotOf(`/${enc(jobId)}`, { signal }, self),
    // The JSON round trip drops undefined fields; an `ids` array becomes "a,b".
    list: (query = {}, { signal } = {}) =>
      request(`?${new URLSearchParams(JSON.parse(JSON.stringify(query)))}`, { signal }),
    logs: (jobId, after = 0, { limit, signal } = {}) =>
      request(`/${enc(jobId)}/logs?after=${after}${limit ? `&limit=${limit}` : ''}`, { signal }),
    cancel: (jobId, { signal } = {}) => snapshotOf(`/${enc(jobId)}/cancel`, { method: 'POST', signal }, self),
    peek: (jobId) => subjects.known.get(jobId) ?? undefined,
    close() {
      closed = true;
      subjects.clear();
      group?.close();
      sync();
    },
  };
}
