import { createParser } from 'eventsource-parser';

/** One HTTP request of an EventSource: what it sent and what it got, for the tests to count. */
export interface StreamConnection {
  readonly source: ChaosEventSource;
  readonly url: string;
  /** When the request was made (`Date.now()`). */
  readonly openedAt: number;
  /** The `Last-Event-ID` header sent (a reconnect by the EventSource itself), or null. */
  readonly lastEventIdHeader: string | null;
  /** The answer's status; null until it arrives (or when the request failed). */
  status: number | null;
  /** Every event dispatched on this connection, in order. `id`: the event's own `id:` field, if any. */
  readonly events: Array<{ type: string; id: string | undefined; lastEventId: string; data: string }>;
  /** How it ended: the page closed it, a test cut it, the network failed, the body ended, or it was refused. */
  end: 'closed' | 'cut' | 'network' | 'eof' | 'failed' | null;
}

export interface ChaosEventSourceOptions {
  /** The `fetch` to use. Default: the global one. */
  fetch?: typeof fetch;
  /** Sent with every request (a session cookie, a test principal). */
  headers?: Record<string, string>;
  /** Reconnection time before the server sends `retry:`. Default 3000 ms. */
  initialRetryMs?: number;
  /** Called for every new connection (request) of every EventSource of this class. */
  onConnection?: (connection: StreamConnection) => void;
  /** Called for every event, before it is dispatched (a test may act at that very moment). */
  onEvent?: (event: MessageEvent<string>, connection: StreamConnection) => void;
  /** The open EventSources of this class (not yet closed), so a test can cut one. */
  live?: Set<ChaosEventSource>;
}

export type ChaosEventSource = EventSource & {
  /** Test hook: drops the current connection as a network failure would (the source reconnects). */
  cut(): void;
  readonly lastEventId: string;
  /** What it is doing, for a test's diagnostics: `fetching`, `reading`, `waiting <ms>`, `closed`. */
  readonly activity: string;
};

/**
 * An `EventSource` for Node (which has none before Node 22), following the WHATWG HTML
 * spec on the points a job-status client relies on: `readyState`, `open` / `error` /
 * named events through `addEventListener` and the `on…` attributes, `retry:` as the
 * reconnection time, `Last-Event-ID` on reconnects, the last event id kept across events
 * that carry none, a non-200 or non-`text/event-stream` answer failing the source for
 * good, and a network error or end of body reconnecting it. Parsing is eventsource-parser's.
 *
 * Not covered: an `id:` field in a frame without `data:` (eventsource-parser does not
 * report it; job-status never sends one), CORS and `withCredentials`.
 *
 * The options are bound into the class, because the client calls `new EventSource(url)`.
 */
export function eventSourceClass(options: ChaosEventSourceOptions = {}): typeof EventSource {
  const fetchFn = options.fetch ?? fetch;

  class NodeEventSource extends EventTarget {
    static readonly CONNECTING = 0 as const;
    static readonly OPEN = 1 as const;
    static readonly CLOSED = 2 as const;
    readonly CONNECTING = 0 as const;
    readonly OPEN = 1 as const;
    readonly CLOSED = 2 as const;
    readonly url: string;
    readonly withCredentials = false;
    readyState: 0 | 1 | 2 = 0;
    onopen: ((this: EventSource, event: Event) => unknown) | null = null;
    onmessage: ((this: EventSource, event: MessageEvent) => unknown) | null = null;
    onerror: ((this: EventSource, event: Event) => unknown) | null = null;
    #lastEventId = '';
    #retryMs = options.initialRetryMs ?? 3000;
    #controller: AbortController | null = null;
    #timer: ReturnType<typeof setTimeout> | null = null;
    #connection: StreamConnection | null = null;
    #cutting = false;
    #activity = 'starting';

    constructor(url: string | URL) {
      super();
      this.url = new URL(String(url)).href;
      options.live?.add(this as unknown as ChaosEventSource);
      queueMicrotask(() => this.#connect());
    }

    /** Closed, or this request was replaced by a newer one. */
    #gone(controller: AbortController) {
      return (this.readyState as number) === 2 || controller !== this.#controller;
    }

    get lastEventId() {
      return this.#lastEventId;
    }

    get activity() {
      return this.readyState === 2 ? 'closed' : this.#activity;
    }

    close() {
      if (this.readyState === 2) return;
      this.readyState = 2;
      if (this.#connection && !this.#connection.end) this.#connection.end = 'closed';
      options.live?.delete(this as unknown as ChaosEventSource);
      if (this.#timer) clearTimeout(this.#timer);
      this.#controller?.abort();
    }

    cut() {
      if (this.readyState === 2 || !this.#controller) return;
      this.#cutting = true;
      this.#controller.abort();
    }

    #fire(event: Event) {
      this.dispatchEvent(event);
      const handler = event.type === 'open' ? this.onopen : event.type === 'error' ? this.onerror : event.type === 'message' ? this.onmessage : null;
      handler?.call(this as unknown as EventSource, event as MessageEvent);
    }

    async #connect() {
      if (this.readyState === 2) return;
      const controller = (this.#controller = new AbortController());
      const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-store', ...options.headers };
      if (this.#lastEventId) headers['last-event-id'] = this.#lastEventId;
      const connection: StreamConnection = {
        source: this as unknown as ChaosEventSource,
        url: this.url,
        openedAt: Date.now(),
        lastEventIdHeader: this.#lastEventId || null,
        status: null,
        events: [],
        end: null,
      };
      this.#connection = connection;
      options.onConnection?.(connection);
      let response: Response;
      this.#activity = 'fetching';
      try {
        response = await fetchFn(this.url, { headers, signal: controller.signal, redirect: 'follow' });
      } catch {
        return this.#lost(connection, controller);
      }
      connection.status = response.status;
      const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (response.status !== 200 || type !== 'text/event-stream' || !response.body) {
        void response.body?.cancel().catch(() => undefined);
        if (this.#gone(controller)) return;
        connection.end = 'failed';
        this.readyState = 2;
        options.live?.delete(this as unknown as ChaosEventSource);
        this.#fire(new Event('error'));
        return;
      }
      if (this.#gone(controller)) return;
      this.readyState = 1;
      this.#activity = 'reading';
      this.#fire(new Event('open'));
      const origin = new URL(this.url).origin;
      const parser = createParser({
        onEvent: (message) => {
          if (this.#gone(controller)) return;
          if (message.id !== undefined) this.#lastEventId = message.id;
          const type = message.event || 'message';
          connection.events.push({ type, id: message.id, lastEventId: this.#lastEventId, data: message.data });
          const event = new MessageEvent(type, { data: message.data, lastEventId: this.#lastEventId, origin });
          options.onEvent?.(event, connection);
          this.#fire(event);
        },
        onRetry: (ms) => (this.#retryMs = ms),
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          if (this.#gone(controller)) return;
          parser.feed(decoder.decode(chunk, { stream: true }));
        }
      } catch {
        return this.#lost(connection, controller);
      }
      if (controller !== this.#controller) return;
      connection.end ??= 'eof';
      this.#reestablish();
    }

    /** The request or its body failed: a cut by the test, or the network. */
    #lost(connection: StreamConnection, controller: AbortController) {
      if (this.#gone(controller)) return;
      connection.end ??= this.#cutting ? 'cut' : 'network';
      this.#cutting = false;
      this.#reestablish();
    }

    /** "Reestablish the connection": CONNECTING, an `error` event, then a new request after the reconnection time. */
    #reestablish() {
      if (this.readyState === 2) return;
      this.readyState = 0;
      this.#fire(new Event('error'));
      if (this.readyState !== 0) return;
      this.#activity = `waiting ${this.#retryMs} ms since ${new Date().toISOString()}`;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.readyState === 0) void this.#connect();
      }, this.#retryMs);
    }
  }

  return NodeEventSource as unknown as typeof EventSource;
}
