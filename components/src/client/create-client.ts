import type { EnqueueResponse, JobLogLine, JobSnapshot } from '@job-status/protocol';
import { clampInterval, DEBOUNCE } from './delays.js';
import { JobStatusError } from './job-status-error.js';
import { observePage } from './page-lifecycle.js';
import { createPoller } from './poller.js';
import { createRequest } from './request.js';
import type { RequestInit } from './request.js';
import { createStreamChannel } from './stream-channel.js';
import { streamQuery } from './stream-query.js';
import { createSubjects, hasWork } from './subjects.js';
import type { Wants } from './subjects.js';
import { joinTabGroup } from './tab-group.js';
import type { ConnectionState, JobStatusClient, JobStatusClientOptions, JobStatusClock } from './types.js';

/** What the source of updates (this tab alone, or the group's leader) hands every tab. */
interface Batch {
  snapshots?: JobSnapshot[];
  gone?: string[];
  lines?: [string, JobLogLine[]];
  resync?: boolean;
  /** The stream's last event id: where a tab that takes over resumes. */
  id?: string;
}

/** A JobStatusError as plain data, to cross BroadcastChannel. */
type PackedError = [JobStatusError['type'], string, number | null, string | null];
const pack = (e: JobStatusError | null | undefined): PackedError | null => (e ? [e.type, e.message, e.status, e.code] : null);
const unpack = (p: PackedError | null) => (p ? new JobStatusError(...p) : null);

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
 * updates in one batch per animation frame.
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
  const tab = Math.random().toString(36).slice(2);
  /** The other tabs of the group: what each wants and whether it is visible. */
  const followers = new Map<string, [Wants, boolean]>();
  /** A follower's view of the group's connection, as the leader last reported it. */
  let mirror: [ConnectionState, PackedError | null, boolean, number | null] | undefined;
  let closed = false;
  let hidden = false;
  let offline = false;
  let leaving = false;
  let debounce: unknown;
  let stopPage: (() => void) | undefined;
  /** What a follower last told the group, or what a leader last reported. */
  let sent = '';

  const subjects = createSubjects(soon);
  const request = createRequest(base, options.fetch ?? ((input, init) => fetch(input, init)), (r) => poller.inspect(r));
  const poller = createPoller(clock, interval, request, {
    targets() {
      if (stopped()) return;
      const [ids, scopes] = subjects.unloaded();
      const urgent = ids.length + scopes.length > 0;
      // Only the source polls for the group, and only while no stream is live.
      if (!source() || stream?.live) return { ids, scopes, urgent };
      const all = union();
      return { ids: all.ids, scopes: all.scopes, urgent };
    },
    known: (id) => subjects.known.has(id),
    answer(snapshots, gone, scope) {
      emit({ snapshots, gone });
      if (scope) subjects.loaded(scope);
    },
    done(error) {
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
      : joinTabGroup(`job-status ${new URL(base, globalThis.location?.href)}`, clock, {
          role(leading) {
            mirror = undefined;
            sent = '';
            if (leading) group!.send({ lead: 1 });
            sync();
          },
          message,
          beat: report,
        });
  /** This tab fetches: alone, while the election runs, or as the leader. */
  const source = () => group?.leading !== false;
  /** Nobody in the group looks: this tab is hidden, and so is every follower. */
  const unseen = () => hidden && ![...followers.values()].some((f) => f[1] && source());
  const stopped = () => closed || !!subjects.fatal || offline || unseen();

  /** Hands what the source received to this tab and, from a leader, to every other tab. */
  function emit(batch: Batch) {
    batch.id = stream?.lastId;
    if (group?.leading) group.send({ batch });
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
    group?.send({ fatal: pack(error) });
  }

  /** What the source fetches: this tab's wants, and a leader's followers'. */
  function union(): Wants {
    const all = subjects.wants();
    if (group?.leading)
      for (const [w] of followers.values()) {
        all.ids.push(...w.ids);
        all.scopes.push(...w.scopes);
        all.filters.push(...w.filters);
        for (const id in w.logs) all.logs[id] = Math.min(all.logs[id] ?? Infinity, w.logs[id] ?? Infinity);
      }
    const scopes = new Map(all.scopes.map((s) => [JSON.stringify([s.kind, s.target]), s]));
    return { ...all, ids: [...new Set(all.ids)], scopes: [...scopes.values()] };
  }

  function message(data: any) {
    const leading = group!.leading;
    if (data.tab) {
      if (data.wants) followers.set(data.tab, [data.wants, data.visible]);
      else followers.delete(data.tab);
      if (!leading) return;
      if (data.wake) {
        subjects.fatal = undefined;
        poller.wake = true;
      }
      sync();
      return report();
    }
    if (data.fatal) subjects.fatal = unpack(data.fatal)!;
    if (leading) return sync();
    group!.heard();
    if (data.lead) sent = '';
    if (data.batch) apply(data.batch);
    if (data.status) {
      mirror = data.status;
      if (stream && data.id) stream.lastId = data.id;
      if (subjects.fatal && !mirror![1]) subjects.fatal = undefined;
    }
    sync();
  }

  /** A leader tells its followers how the group's connection is. */
  function report() {
    group?.send({ status: [connection.state, pack(connection.error), connection.stale, connection.lastUpdateAt], id: stream?.lastId });
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
        sent = '';
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
    else if (!group || group.leading !== undefined) stream?.want(streamQuery(all), all.logs);
    if (halt) poller.stop();
    else poller.plan();

    if (group) group.active = group.leading ? followers.size > 0 : work && !hidden;
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
      if (mirror) [state, , stale, connection.lastUpdateAt] = mirror;
      else state = connection.state;
      error = unpack(mirror?.[1] ?? null);
    }
    if (group?.leading === false && !leaving) {
      const said = JSON.stringify([mine, !hidden]);
      if (said !== sent) group.send({ tab, wants: work ? mine : null, visible: !hidden, wake: !sent });
      sent = said;
    }
    if (state !== connection.state || error?.message !== connection.error?.message || stale !== connection.stale) {
      connection.state = state;
      connection.error = error;
      connection.stale = stale;
      connection.dispatchEvent(new Event('change'));
      if (group?.leading) report();
    }
  }

  if (group) {
    // A follower that leaves says so, so the leader stops fetching for it.
    addEventListener('pagehide', () => {
      leaving = true;
      if (group.leading === false) group.send({ tab });
    });
    addEventListener('pageshow', () => {
      leaving = false;
      sent = '';
      sync();
    });
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
      if (group?.leading === false) group.send({ tab });
      group?.close();
      sync();
    },
  };
}
