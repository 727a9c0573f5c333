import { JobEvent, JOB_STATES } from '@job-status/protocol';
import type { JobSnapshot, JobState } from '@job-status/protocol';

/** What a stream asked for, read from its `GET /events` query as the server reads it. */
export interface StreamQuery {
  /** `job=` and `log=` jobs. */
  jobs: Set<string>;
  kinds: Set<string>;
  targets: Set<string>;
  states: Set<JobState>;
  /** `log=<id>:<after>`: lines after `after`, by job. */
  logs: Map<string, number>;
  /** `last_event_id`: where a reconnecting client resumes; null for a fresh stream. */
  lastEventId: string | null;
}

/** Reads the query of `GET /events`. */
export function readStreamQuery(url: URL): StreamQuery {
  const all = (name: string) => url.searchParams.getAll(name);
  const logs = new Map(
    all('log').map((part) => {
      const [id = '', after] = part.split(':');
      return [id, Number(after) || 0] as const;
    }),
  );
  return {
    jobs: new Set([...all('job'), ...logs.keys()]),
    kinds: new Set(all('kind')),
    targets: new Set(all('target')),
    states: new Set(all('state').filter((s): s is JobState => (JOB_STATES as readonly string[]).includes(s))),
    logs,
    lastEventId: url.searchParams.get('last_event_id'),
  };
}

/**
 * True when a stream of `query` carries `job`, by the server's rule: it is named, or it
 * matches every dimension of the scope given; a stream without any filter carries every job.
 */
export function carries(query: StreamQuery, job: JobSnapshot): boolean {
  if (query.jobs.has(job.job_id)) return true;
  const scoped = query.kinds.size + query.targets.size + query.states.size > 0;
  if (!scoped) return query.jobs.size === 0;
  return (
    (!query.kinds.size || query.kinds.has(job.kind)) &&
    (!query.targets.size || (job.target !== null && query.targets.has(job.target))) &&
    (!query.states.size || query.states.has(job.state))
  );
}

/** What opens a {@link ScriptedEventSource}: the story's server. */
export interface StreamServer {
  open(source: ScriptedEventSource): void;
  closed(source: ScriptedEventSource): void;
}

/**
 * The browser's `EventSource`, answered in the page: the client under test opens it as
 * it would open a real one (`new EventSource(url)`), and the story's server sends it
 * events. Named events arrive as `MessageEvent`s whose `lastEventId` is the last `id:`
 * the stream sent, as in a browser; `onerror` fires when the server refuses or drops it.
 */
export class ScriptedEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readonly url: string;
  readonly withCredentials = false;
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly #server: StreamServer;
  #lastEventId = '';

  constructor(url: string | URL, server: StreamServer) {
    super();
    this.url = String(url);
    this.#server = server;
    server.open(this);
  }

  /** The server accepted the stream. */
  accept(): void {
    this.readyState = 1;
    this.#fire(new Event('open'));
  }

  /** Sends one event; `id` moves the stream's last event id. */
  send(type: JobEvent, data: unknown, id?: string): void {
    if (this.readyState !== 1) return;
    if (id) this.#lastEventId = id;
    this.#fire(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: this.#lastEventId }));
  }

  /** The server refused or dropped the stream; as with a 4xx or a lost connection, the browser gives up. */
  fail(): void {
    if (this.readyState === 2) return;
    this.readyState = 2;
    this.#server.closed(this);
    this.#fire(new Event('error'));
  }

  close(): void {
    if (this.readyState === 2) return;
    this.readyState = 2;
    this.#server.closed(this);
  }

  #fire(event: Event) {
    this.dispatchEvent(event);
    const handler = { open: this.onopen, message: this.onmessage, error: this.onerror }[event.type];
    (handler as ((event: Event) => void) | null | undefined)?.call(this, event);
  }
}
