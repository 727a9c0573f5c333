import { isJobSnapshot, isTerminalState, MIN_POLL_INTERVAL_HEADER } from '@job-status/protocol';
import type { EnqueueResponse, JobListResponse, JobSnapshot } from '@job-status/protocol';
import { backoff, clampInterval, DEBOUNCE, retryAfter, streamRetry } from './delays.js';
import { openEventStream } from './event-stream.js';
import { JobStatusError } from './job-status-error.js';
import { observePage } from './page-lifecycle.js';
import { createRequest } from './request.js';
import type { RequestInit } from './request.js';
import { covers, MAX_IDS, streamQuery } from './stream-query.js';
import type {
  ConnectionState,
  JobListener,
  JobScope,
  JobStatusClient,
  JobStatusClientOptions,
  JobStatusClock,
  JobUpdate,
} from './types.js';

/** A watched job, or a watched kind + target (a scope: `kind` is set). */
interface Subject {
  /** Each listener with what it heard last, so nobody hears the same thing twice. */
  listeners: Map<JobListener, unknown>;
  /** The job followed; for a scope, the newest one known, or null. */
  id: string | null;
  kind?: string;
  target?: string | null;
  /** Scope only: its newest job has been asked for. */
  loaded?: boolean;
}

/** What a scope's listeners heard when it has no job. */
const EMPTY = {};
const enc = encodeURIComponent;
const systemClock: JobStatusClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/**
 * Creates the browser client of one job-status middleware. Create one per page (or per
 * base URL) and share it: it holds one event stream for every watched job, falls back
 * to polling when the stream is unavailable, pauses while the page is hidden, and
 * delivers updates in one batch per animation frame.
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
  const subjects = new Map<string, Subject>();
  /** The newest snapshot of every job of interest; null: gone. */
  const known = new Map<string, JobSnapshot | null>();
  const connection = Object.assign(new EventTarget(), {
    state: 'paused' as ConnectionState,
    error: null as JobStatusError | null,
  });

  let closed = false;
  let hidden = false;
  let offline = false;
  let fatal: JobStatusError | undefined;
  let framing = false;
  let debounce: unknown;
  let stopPage: (() => void) | undefined;
  let minInterval = 0;
  let lastRetryAfter = 0;
  // the stream
  let closeStream: (() => void) | undefined;
  let streamFilter = '';
  let live = false;
  let streamFailures = 0;
  let streamError: JobStatusError | null = null;
  let streamTimer: unknown;
  let lastId = '';
  // polling
  let pollTimer: unknown;
  let pollDue = 0;
  let polling = false;
  let pollFailures = 0;
  let pollError: JobStatusError | null = null;
  let wait = 0;
  let wake = false;
  let aborter: AbortController | undefined;
  /** The ETag of each `?ids=` answer of the last poll. */
  let etags = new Map<string, string>();

  const request = createRequest(base, options.fetch ?? ((input, init) => fetch(input, init)), (r) => {
    const min = Number(r.headers.get(MIN_POLL_INTERVAL_HEADER));
    if (min > 0) minInterval = min * 1e3;
    if (r.status === 429 || r.status === 503) lastRetryAfter = retryAfter(r.headers.get('retry-after'), clock.now());
  });
  const clear = (handle: unknown) => handle !== undefined && clock.clearTimeout(handle);
  const scopes = () => [...subjects.values()].filter((s) => s.kind !== undefined);
  /** Watched jobs that may still change: not yet known, or known and not terminal. */
  const busyIds = () =>
    [...subjects.values()].flatMap((s) => {
      if (s.kind !== undefined) return [];
      const snapshot = known.get(s.id!);
      return snapshot === null || (snapshot && isTerminalState(snapshot.state)) ? [] : [s.id!];
    });
  const stopped = () => closed || !!fatal || hidden || offline;

  /** Delivers what changed, once per frame: each listener hears the newest state it has not heard. */
  function frame() {
    if (framing) return;
    framing = true;
    const run = () => {
      framing = false;
      for (const subject of subjects.values()) {
        const now = fatal ?? (subject.id ? known.get(subject.id) : subject.loaded ? EMPTY : undefined);
        if (now === undefined) continue;
        for (const [listener, heard] of subject.listeners) {
          if (heard === now) continue;
          subject.listeners.set(listener, now);
          const update: JobUpdate =
            now === fatal ? { type: 'error', error: fatal }
            : now === EMPTY ? { type: 'empty' }
            : now ? { type: 'snapshot', snapshot: now as JobSnapshot }
            : { type: 'gone', jobId: subject.id! };
          try {
            listener(update);
          } catch (error) {
            reportError(error);
          }
        }
      }
    };
    if (typeof requestAnimationFrame === 'function' && !globalThis.document?.hidden) requestAnimationFrame(run);
    else queueMicrotask(run);
  }

  /**
   * Takes a snapshot in unless one with an equal or higher `seq` is known; a scope moves
   * to it when it is newer than the scope's job. `keep`: store it even if unwatched.
   */
  function accept(s: JobSnapshot, keep?: boolean) {
    const old = known.get(s.job_id);
    if (old && old.seq >= s.seq) return;
    let wanted = keep || subjects.has(s.job_id);
    for (const subject of subjects.values()) {
      if (subject.kind !== s.kind || subject.target !== s.target) continue;
      const current = subject.id && known.get(subject.id);
      if (!current || subject.id === s.job_id || s.created_at > current.created_at) {
        subject.id = s.job_id;
        wanted = true;
      }
    }
    if (!wanted) return;
    known.set(s.job_id, s);
    frame();
    // A terminal job leaves the poll; a kept one is dropped later if nobody watches it.
    if (isTerminalState(s.state) || keep) soon();
  }

  function soon() {
    debounce ??= clock.setTimeout(sync, DEBOUNCE);
  }

  /** Brings stream, polling, page listeners and connection state in line with what is watched. */
  function sync() {
    clear(debounce);
    debounce = undefined;
    const ids = new Set([...subjects.values()].map((s) => s.id));
    for (const id of known.keys()) if (!ids.has(id)) known.delete(id);
    const busy = busyIds();
    const sc = scopes();
    const work = !closed && (busy.length > 0 || sc.length > 0);
    if (work && !stopPage) {
      hidden = !!globalThis.document?.hidden;
      offline = globalThis.navigator?.onLine === false;
      stopPage = observePage(clock, (why) => {
        if (why === 'offline') offline = true;
        else hidden = true;
        sync();
      }, () => {
        if (!hidden && !offline && !fatal) return;
        hidden = offline = false;
        fatal = undefined; // coming back is a reason to try once more, even after a 401/403
        wake = true;
        sync();
      });
    }
    if (!work && stopPage) {
      stopPage();
      stopPage = undefined;
    }
    if (!work || stopped()) {
      closeStream?.();
      clear(pollTimer);
      clear(streamTimer);
      aborter?.abort();
      closeStream = pollTimer = streamTimer = aborter = undefined;
      live = false;
    } else {
      const filter = streamQuery(busy, sc as JobScope[]);
      if (ES && streamTimer === undefined && !(closeStream && covers(streamFilter, filter))) openStream(filter);
      plan();
    }
    const state: ConnectionState =
      closed || fatal || offline ? 'offline'
      : hidden || !work ? 'paused'
      : live ? 'live'
      : pollFailures > 2 ? 'backoff'
      : closeStream && !streamFailures ? connection.state // first attempt, not known yet
      : 'polling';
    const error = closed ? null : fatal ?? (live ? null : pollError ?? streamError);
    if (state !== connection.state || error !== connection.error) {
      connection.state = state;
      connection.error = error;
      connection.dispatchEvent(new Event('change'));
    }
  }

  function openStream(filter: string) {
    closeStream?.();
    streamFilter = filter;
    live = false;
    const resume = lastId && `last_event_id=${enc(lastId)}`;
    closeStream = openEventStream(ES!, `${base}/events?${[filter, resume].filter(Boolean).join('&')}`, clock, {
      alive(id) {
        if (id) lastId = id;
        if (live) return;
        // Live: the stream's success also ends any polling backoff.
        live = true;
        streamFailures = pollFailures = wait = 0;
        streamError = pollError = null;
        sync();
      },
      snapshot: (s) => accept(s),
      resync() {
        // Seqs may restart in a new log: forget every snapshot, take the ones that
        // follow, and fetch every watched job once more so nothing stays stale.
        known.clear();
        for (const s of scopes()) {
          s.id = null;
          s.loaded = false;
        }
        plan();
      },
      fail(error) {
        closeStream = undefined;
        live = false;
        streamError = error;
        streamTimer = clock.setTimeout(() => {
          streamTimer = undefined;
          sync();
        }, streamRetry(++streamFailures));
        sync();
      },
    });
  }

  /** What a poll asks for: every busy job and scope; while live, only what was never loaded. */
  function pollTargets(): [string[], Subject[]] {
    return [busyIds().filter((id) => !live || !known.has(id)), scopes().filter((s) => !live || !s.loaded)];
  }

  /** Plans the next poll, unless one is running: polls never overlap. */
  function plan() {
    if (polling || stopped()) return;
    const [ids, sc] = pollTargets();
    if (!ids.length && !sc.length) {
      clear(pollTimer);
      pollTimer = undefined;
      return;
    }
    // At once for what was never loaded and on waking up, unless polls are failing.
    const urgent = !pollFailures && (wake || ids.some((id) => !known.has(id)) || sc.some((s) => !s.loaded));
    const ms = urgent ? 0 : Math.max(interval, minInterval, wait);
    if (pollTimer !== undefined && pollDue <= clock.now() + ms) return;
    clear(pollTimer);
    pollDue = clock.now() + ms;
    pollTimer = clock.setTimeout(poll, ms);
  }

  async function poll() {
    pollTimer = undefined;
    wake = false;
    const [ids, sc] = pollTargets();
    if (!ids.length && !sc.length) return sync();
    polling = true;
    const signal = (aborter ??= new AbortController()).signal;
    const tasks: Promise<unknown>[] = sc.map(async (scope) => {
      const target = scope.target != null ? `&target=${enc(scope.target)}` : '';
      const [first] = (await request<JobListResponse>(`?kind=${enc(scope.kind!)}${target}&limit=1`, { signal })).jobs;
      scope.loaded = true;
      if (isJobSnapshot(first)) accept(first);
      frame();
    });
    // If-None-Match only when every job asked for is known: a 304 then means "unchanged".
    const tags = new Map<string, string>();
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const chunk = ids.slice(i, i + MAX_IDS);
      const path = `?ids=${chunk.map(enc).join(',')}`;
      const tag = etags.get(path);
      if (tag && chunk.every((id) => known.has(id))) tags.set(path, tag);
      tasks.push(
        request<JobListResponse | undefined>(path, { signal, etags: tags }).then((answer) => {
          for (const s of answer?.jobs ?? []) if (isJobSnapshot(s)) accept(s);
          for (const id of answer ? chunk : []) {
            // Absent from the answer: unknown, expired, or not for this caller.
            if (!answer!.jobs.some((s) => s.job_id === id) && subjects.has(id)) {
              known.set(id, null);
              frame();
            }
          }
        }),
      );
    }
    etags = tags;
    // allSettled, not all: the next poll must not start while a request of this one runs.
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    const error =
      failed && (failed.reason instanceof JobStatusError ? failed.reason : new JobStatusError('parse', String(failed.reason)));
    polling = false;
    if (!error) {
      pollFailures = wait = 0;
      pollError = null;
    } else if (error.status === 401 || error.status === 403) {
      fatal = error;
      frame();
    } else if (error.type !== 'aborted') {
      pollError = error;
      wait = Math.max(backoff(++pollFailures), lastRetryAfter);
    }
    lastRetryAfter = 0;
    sync();
  }

  function subscribe(key: string, subject: Subject, listener: JobListener) {
    if (closed) return () => {};
    const current = subjects.get(key) ?? subject;
    subjects.set(key, current);
    current.listeners.set(listener, undefined);
    frame();
    soon();
    return () => {
      if (current.listeners.delete(listener) && !current.listeners.size && subjects.get(key) === current) {
        subjects.delete(key);
        soon();
      }
    };
  }

  /** A request whose answer is a snapshot the client takes in. */
  const snapshotOf = async <T>(path: string, init: RequestInit, pick: (answer: T) => JobSnapshot) => {
    const answer = await request<T>(path, init);
    accept(pick(answer), true);
    return answer;
  };
  const self = (s: JobSnapshot) => s;

  return {
    baseUrl: base,
    interval,
    connection,
    watch: (jobId, listener) => subscribe(jobId, { listeners: new Map(), id: jobId }, listener),
    watchScope: ({ kind, target = null }, listener) =>
      subscribe(JSON.stringify([kind, target]), { listeners: new Map(), id: null, kind, target }, listener),
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
    peek: (jobId) => known.get(jobId) ?? undefined,
    close() {
      closed = true;
      subjects.clear();
      sync();
    },
  };
}
