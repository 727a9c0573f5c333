import { DEFAULT_MAX_IDS, isJobSnapshot, MAX_IDS_HEADER, MIN_POLL_INTERVAL_HEADER } from '@job-status/protocol';
import type { JobListResponse, JobSnapshot } from '@job-status/protocol';
import { backoff, retryAfter } from './delays.js';
import { JobStatusError } from './job-status-error.js';
import type { Request } from './request.js';
import type { JobScope, JobStatusClock } from './types.js';

/** What the next poll asks for; `urgent`: something was never loaded, ask at once. */
export interface PollTargets {
  ids: string[];
  scopes: JobScope[];
  urgent: boolean;
}

/** What the poller needs from its owner. */
export interface PollerHooks {
  /** What to poll now; undefined while stopped. */
  targets(): PollTargets | undefined;
  /** The client holds a snapshot of this job (an ETag answer then means "unchanged"). */
  known(id: string): boolean;
  /** One answer: snapshots, ids absent from it, and the scope it loaded. */
  answer(snapshots: JobSnapshot[], gone: string[], scope?: JobScope): void;
  /** A poll ended, with the error that made it fail. */
  done(error?: JobStatusError): void;
}

const enc = encodeURIComponent;

/**
 * The fallback when no stream is live: polls `GET /?ids=` for busy jobs and
 * `GET /?kind=&target=&limit=1` for scopes, sequentially (the next poll is planned when
 * the last answer is in), every `interval`, or the server's minimum, or the backoff
 * after three failures (10 s doubling to 2 min, or `Retry-After`). Each `?ids=` request
 * names at most as many ids as the server advertises (`Job-Status-Max-Ids`, 100 until it
 * has); a poll refused for naming more than an advertised lower limit is tried again at
 * once, and does not count as a failure.
 */
export function createPoller(clock: JobStatusClock, interval: number, request: Request, on: PollerHooks) {
  let timer: unknown;
  let due = 0;
  let busy = false;
  let wait = 0;
  let minInterval = 0;
  let lastRetryAfter = 0;
  let aborter: AbortController | undefined;
  /** The ETag of each `?ids=` answer of the last poll. */
  let etags = new Map<string, string>();
  const clear = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  async function poll() {
    timer = undefined;
    poller.wake = false;
    const t = on.targets();
    if (!t || (!t.ids.length && !t.scopes.length)) return on.done();
    busy = true;
    const signal = (aborter ??= new AbortController()).signal;
    const tasks: Promise<unknown>[] = t.scopes.map(async (scope) => {
      const target = scope.target != null ? `&target=${enc(scope.target)}` : '';
      const [first] = (await request<JobListResponse>(`?kind=${enc(scope.kind)}${target}&limit=1`, { signal })).jobs;
      on.answer(isJobSnapshot(first) ? [first] : [], [], scope);
    });
    // If-None-Match only when every job asked for is known: a 304 then means "unchanged".
    const tags = new Map<string, string>();
    const size = poller.maxIds;
    for (let i = 0; i < t.ids.length; i += size) {
      const chunk = t.ids.slice(i, i + size);
      const path = `?ids=${chunk.map(enc).join(',')}`;
      const tag = etags.get(path);
      if (tag && chunk.every(on.known)) tags.set(path, tag);
      tasks.push(
        request<JobListResponse | undefined>(path, { signal, etags: tags }).then((answer) => {
          if (!answer) return;
          const jobs = answer.jobs.filter(isJobSnapshot);
          // Absent from the answer: unknown, expired, or not for this caller.
          on.answer(jobs, chunk.filter((id) => !jobs.some((s) => s.job_id === id)));
        }),
      );
    }
    etags = tags;
    // allSettled, not all: the next poll must not start while a request of this one runs.
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    const error =
      failed && (failed.reason instanceof JobStatusError ? failed.reason : new JobStatusError('parse', String(failed.reason)));
    busy = false;
    // Refused for naming more ids than the limit the refusal advertised: try again at once, cut to it.
    const refit = !!error && error.code === 'too_many_ids' && poller.maxIds < size;
    if (refit) poller.wake = true;
    else if (!error) poller.reset();
    else if (error.type !== 'aborted' && error.status !== 401 && error.status !== 403) {
      poller.error = error;
      wait = Math.max(backoff(++poller.failures), lastRetryAfter);
    }
    lastRetryAfter = 0;
    on.done(refit ? undefined : error);
  }

  const poller = {
    failures: 0,
    error: null as JobStatusError | null,
    /** Poll at once, even if nothing is new (the page came back). */
    wake: false,
    /** Ids per `?ids=` request (and per stream): what the server advertised. */
    maxIds: DEFAULT_MAX_IDS,

    /** Sees every response first: reads `Job-Status-Min-Interval`, `Job-Status-Max-Ids` and `Retry-After`. */
    inspect(r: Response) {
      const min = Number(r.headers.get(MIN_POLL_INTERVAL_HEADER));
      if (min > 0) minInterval = min * 1e3;
      const maxIds = Number(r.headers.get(MAX_IDS_HEADER));
      if (Number.isSafeInteger(maxIds) && maxIds > 0) poller.maxIds = maxIds;
      if (r.status === 429 || r.status === 503) lastRetryAfter = retryAfter(r.headers.get('retry-after'), clock.now());
    },

    /** Plans the next poll, unless one is running: polls never overlap. */
    plan() {
      if (busy) return;
      const t = on.targets();
      if (!t || (!t.ids.length && !t.scopes.length)) return clear();
      // At once for what was never loaded and on waking up, unless polls are failing.
      const ms = !poller.failures && (poller.wake || t.urgent) ? 0 : Math.max(interval, minInterval, wait);
      if (timer !== undefined && due <= clock.now() + ms) return;
      clear();
      due = clock.now() + ms;
      timer = clock.setTimeout(poll, ms);
    },

    /** Stops: no timer, and the running poll is aborted. */
    stop() {
      clear();
      aborter?.abort();
      aborter = undefined;
    },

    /** Polls (or the stream) succeed: no backoff, no error. */
    reset() {
      poller.failures = wait = 0;
      poller.error = null;
    },
  };
  return poller;
}
