/** One request the client made through {@link recordingFetch}. */
export interface RecordedRequest {
  url: URL;
  method: string;
  headers: Headers;
  /** The answer's status, once it came. */
  status?: number;
}

/**
 * A real `fetch` that remembers every request and its status. `hold(match)` holds back
 * the answers of matching requests until `release()` (the request itself goes out at
 * once), so a test can deliver an old answer after newer events.
 */
export function recordingFetch() {
  const requests: RecordedRequest[] = [];
  let holding: ((url: URL) => boolean) | null = null;
  const held: Array<() => void> = [];
  const recorded = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request: RecordedRequest = {
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
    };
    requests.push(request);
    const response = await fetch(input, init);
    request.status = response.status;
    if (!holding?.(request.url)) return response;
    // Read the body now, so a released answer is handed over whole, in one go.
    const body = await response.text();
    await new Promise<void>((resolve) => held.push(resolve));
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return {
    fetch: recorded as typeof fetch,
    requests,
    /** Requests to `GET /?ids=`, the polls. */
    polls: () => requests.filter((r) => r.url.searchParams.has('ids')),
    hold(match: (url: URL) => boolean) {
      holding = match;
    },
    /** How many answers wait to be released. */
    get heldCount() {
      return held.length;
    },
    release() {
      holding = null;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

/** A real `EventSource` subclass that remembers every stream the client opens. */
export function recordingEventSource() {
  const sources: EventSource[] = [];
  class RecordedEventSource extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      sources.push(this);
    }
  }
  return {
    EventSource: RecordedEventSource as typeof EventSource,
    sources,
    /** Streams not closed yet. */
    open: () => sources.filter((s) => s.readyState !== EventSource.CLOSED),
  };
}

/** Lets a poll that a timer started come back; true once `count` polls have answered. */
export const answered = (requests: ReturnType<typeof recordingFetch>, count: number) => () =>
  requests.polls().length === count && requests.polls().every((r) => r.status !== undefined);
