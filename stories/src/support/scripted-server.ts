import { formatEventId, isTerminalState, JobEvent, parseEventId } from '@job-status/protocol';
import type { JobListResponse, JobSnapshot, ListSort } from '@job-status/protocol';
import type { JobStatusError } from '@job-status/elements/client';
import { JobHistory } from './job-history.js';
import type { JobHistoryOptions } from './job-history.js';
import { carries, readStreamQuery, ScriptedEventSource } from './scripted-event-source.js';
import type { StreamQuery } from './scripted-event-source.js';

/** What a story's server holds and plays, and how it answers. Every field is optional. */
export interface ScriptedServerOptions extends JobHistoryOptions {
  /** Refuse every stream (as a proxy that blocks `text/event-stream` does): the client polls. */
  refuseStream?: boolean;
  /** Milliseconds before each answer, and before a stream opens. Default 30. */
  latency?: number;
  /** Never answer anything, nor open a stream: the elements stay on "Loading". */
  silent?: boolean;
  /** Answer every request and refuse every stream with this error (a 401/403: the server refused the caller). */
  refuseWatch?: JobStatusError;
  /** Answer every `POST /` with this error. */
  refuseEnqueue?: JobStatusError;
  /** Answer every history page (`GET /` without `ids`) with this error (a dashboard that cannot reach the server). */
  refuseList?: JobStatusError;
}

/** Where the stories' client thinks the middleware is mounted; nothing is served there. */
export const BASE_PATH = '/stories/api/jobs';

/** The event log's epoch: the server never restarts, so every event id it sent can be replayed. */
const EPOCH = 'stories';
/** How often an open stream hears a heartbeat, in ms (the server's default). */
const HEARTBEAT_MS = 15_000;

/** An answer: a status with a JSON body and headers, or a network failure. */
type Answer = { status: number; body?: unknown; etag?: string } | 'network';

const errorAnswer = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });

/** What a refusal given as a `JobStatusError` looks like on the wire. */
const refusal = (error: JobStatusError): Answer =>
  error.type === 'http' ? errorAnswer(error.status ?? 500, error.code ?? 'error', error.message) : 'network';

/** A short strong ETag for a list of snapshots: it changes whenever one of their `seq` does. */
const etagOf = (jobs: JobSnapshot[]) => `"${jobs.map((job) => `${job.job_id.slice(-4)}.${job.seq}`).join('-')}"`;

/**
 * A job-status server inside the story's page: it answers the wire contract (the routes,
 * their JSON bodies, ETags and `{error: {code, message}}`, and `GET /events` with
 * `job-update`, `job-log`, `ready`, `resync` and heartbeats, resumable by event id) from
 * a {@link JobHistory}, through the `fetch` and `EventSource` it hands to
 * `createJobStatusClient`. So a story runs the real client and shows what a user would
 * see. Nothing leaves the page.
 *
 * It counts what it has not answered yet (`quiet`), so a test can wait until the page
 * has caught up instead of sleeping; and it can go down (`goDown`): the streams drop and
 * every request fails, as when the server becomes unreachable.
 */
export class ScriptedServer {
  /** Give it to `createJobStatusClient` as `fetch`. */
  readonly fetch: typeof fetch;
  /** Give it to `createJobStatusClient` as `EventSource`. */
  readonly EventSource: typeof EventSource;
  readonly #options: ScriptedServerOptions;
  readonly #history: JobHistory;
  readonly #streams = new Map<ScriptedEventSource, StreamQuery>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  /** Requests and stream openings not answered yet (a request counts until its body is read). */
  #inFlight = 0;
  #answered = 0;
  #down = false;

  constructor(options: ScriptedServerOptions = {}) {
    this.#options = options;
    this.#history = new JobHistory(options);
    this.#history.listener = {
      update: (job) => {
        for (const [source, query] of this.#streams) {
          if (carries(query, job)) source.send(JobEvent.update, job, formatEventId({ epoch: EPOCH, seq: job.seq }));
        }
      },
      lines: (jobId, lines) => {
        for (const [source, query] of this.#streams) if (query.logs.has(jobId)) source.send(JobEvent.log, { job_id: jobId, lines });
      },
    };
    this.#heartbeat = setInterval(() => {
      for (const source of this.#streams.keys()) source.send(JobEvent.heartbeat, { interval_ms: HEARTBEAT_MS });
    }, HEARTBEAT_MS);
    this.fetch = (input, init) => this.#request(new URL(String(input), location.origin), init ?? {});
    const streams = { open: (source: ScriptedEventSource) => this.#open(source), closed: (source: ScriptedEventSource) => this.#streams.delete(source) };
    this.EventSource = class extends ScriptedEventSource {
      constructor(url: string | URL) {
        super(url, streams);
      }
    } as unknown as typeof EventSource;
  }

  /** True when every request and stream opening has been answered (a silent server's never count). */
  get quiet(): boolean {
    return this.#inFlight === 0;
  }

  /** How many requests and stream openings were answered so far. */
  get answered(): number {
    return this.#answered;
  }

  /** The server becomes unreachable: every stream drops, and every request or stream after fails. */
  goDown(): void {
    this.#down = true;
    for (const source of [...this.#streams.keys()]) source.fail();
  }

  /** Stops the scripts, the heartbeats and every pending answer; closes the streams. */
  close(): void {
    this.#history.close();
    clearInterval(this.#heartbeat);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const source of [...this.#streams.keys()]) source.close();
  }

  /** Answers after the latency, counting the answer as in flight until `settle` says it has landed. */
  #later(answer: (settle: () => void) => void, signal?: AbortSignal) {
    this.#inFlight++;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.#inFlight--;
      this.#answered++;
      this.#history.opened();
    };
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
      settle();
    });
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      answer(settle);
    }, this.#options.latency ?? 30);
    this.#timers.add(timer);
  }

  #request(url: URL, init: RequestInit): Promise<Response> {
    const { signal } = init;
    return new Promise((resolve, reject) => {
      const aborted = () => reject(new DOMException('The user aborted a request.', 'AbortError'));
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      if (this.#options.silent) return;
      this.#later((settle) => {
        const answer = this.#down ? 'network' : this.#answer(url, init);
        if (answer === 'network') {
          settle();
          return reject(new TypeError('Failed to fetch'));
        }
        const { status, body, etag } = answer;
        const headers = new Headers({ 'content-type': 'application/json' });
        if (etag) headers.set('etag', etag);
        const response = new Response(status === 304 || body === undefined ? null : JSON.stringify(body), { status, headers });
        // In flight until the client has read the body: what it does next follows in microtasks.
        const read = response.text.bind(response);
        Object.defineProperty(response, 'text', { value: () => read().finally(settle) });
        resolve(response);
      }, signal ?? undefined);
    });
  }

  /** The route's answer to one request. */
  #answer(url: URL, init: RequestInit): Answer {
    const { refuseWatch, refuseEnqueue, refuseList } = this.#options;
    if (refuseWatch) return refusal(refuseWatch);
    const method = (init.method ?? 'GET').toUpperCase();
    const base = new URL(BASE_PATH, location.origin).pathname;
    const [id, action] = url.pathname.slice(base.length).split('/').filter(Boolean).map(decodeURIComponent);
    const query = url.searchParams;
    if (!id && method === 'POST') {
      if (refuseEnqueue) return refusal(refuseEnqueue);
      const { kind, target = null } = JSON.parse(String(init.body ?? '{}')) as { kind?: string; target?: string | null };
      if (!kind) return errorAnswer(400, 'invalid_input', 'kind: required');
      const job = this.#history.enqueue(kind, target);
      return { status: 202, body: { job_id: job.job_id, initial_status: job } };
    }
    if (!id) {
      if (query.has('ids')) {
        const ids = new Set(query.get('ids')!.split(','));
        const jobs = this.#history.jobs.filter((job) => ids.has(job.job_id));
        return this.#tagged(jobs, init, { jobs, next_cursor: null } satisfies JobListResponse);
      }
      if (refuseList) return refusal(refuseList);
      return { status: 200, body: this.#list(query) };
    }
    const job = this.#history.get(id);
    if (!job) return errorAnswer(404, 'not_found', `No job ${id}: it never existed or has expired.`);
    if (action === 'cancel' && method === 'POST') {
      if (isTerminalState(job.state)) return errorAnswer(409, 'already_finished', `The job already finished as ${job.state}.`);
      return { status: 202, body: this.#history.cancel(id) };
    }
    if (action === 'logs') {
      const after = Number(query.get('after')) || 0;
      const lines = this.#history.logs(id).filter((line) => line.seq > after).slice(0, Number(query.get('limit')) || 500);
      return { status: 200, body: { lines, next_after: lines.at(-1)?.seq ?? after } };
    }
    return this.#tagged([job], init, job);
  }

  /** 304 when the client's `If-None-Match` still matches `jobs`; else 200 with `body` and its ETag. */
  #tagged(jobs: JobSnapshot[], init: RequestInit, body: unknown): Answer {
    const etag = etagOf(jobs);
    const match = new Headers(init.headers).get('if-none-match');
    return match === etag ? { status: 304, etag } : { status: 200, body, etag };
  }

  /** A page of history, filtered and sorted; the cursor is an offset. */
  #list(query: URLSearchParams): JobListResponse {
    const [state, kind, target] = ['state', 'kind', 'target'].map((name) => query.get(name));
    const sort = (query.get('sort') ?? 'created_desc') as ListSort;
    const key = sort === 'updated_desc' ? 'updated_at' : 'created_at';
    const found = this.#history.jobs
      .filter((job) => (!state || job.state === state) && (!kind || job.kind === kind) && (!target || job.target === target))
      .sort((a, b) => (sort === 'created_asc' ? 1 : -1) * a[key].localeCompare(b[key]));
    const start = Number(query.get('cursor') ?? 0);
    const end = start + (Number(query.get('limit')) || 20);
    return { jobs: found.slice(start, end), next_cursor: end < found.length ? String(end) : null };
  }

  /**
   * Opens a stream as `GET /events` does: a fresh one starts with the snapshot of every
   * named job; a resumed one replays the events after its id (or says `resync` and sends
   * the snapshots, for an id of another epoch); then `ready`, the log lines asked for,
   * and live events.
   */
  #open(source: ScriptedEventSource) {
    if (this.#options.silent) return;
    this.#later((settle) => {
      settle();
      if (source.readyState === 2) return;
      if (this.#down || this.#options.refuseStream || this.#options.refuseWatch) return source.fail();
      const query = readStreamQuery(new URL(source.url, location.origin));
      source.accept();
      source.send(JobEvent.heartbeat, { interval_ms: HEARTBEAT_MS });
      const from = parseEventId(query.lastEventId);
      if (from?.epoch === EPOCH) {
        for (const { seq, snapshot } of this.#history.events) if (seq > from.seq && carries(query, snapshot)) source.send(JobEvent.update, snapshot, formatEventId({ epoch: EPOCH, seq }));
      } else {
        if (query.lastEventId) source.send(JobEvent.resync, {});
        for (const id of query.jobs) {
          const job = this.#history.get(id);
          if (job) source.send(JobEvent.update, job);
        }
      }
      source.send(JobEvent.ready, {}, formatEventId({ epoch: EPOCH, seq: this.#history.head }));
      for (const [id, after] of query.logs) {
        const lines = this.#history.logs(id).filter((line) => line.seq > after);
        if (lines.length) source.send(JobEvent.log, { job_id: id, lines });
      }
      if (source.readyState === 1) this.#streams.set(source, query);
    });
  }
}
