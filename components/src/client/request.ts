import { isErrorBody } from '@job-status/protocol';
import { JobStatusError } from './job-status-error.js';

/** What one request sends. */
export interface RequestInit {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /**
   * ETags by path: the request sends `If-None-Match` with the tag stored for its path
   * and stores the answer's tag. A 304 resolves to `undefined`.
   */
  etags?: Map<string, string>;
}

/** Sends one request to the middleware; every failure becomes a `JobStatusError`. */
export type Request = <T>(path: string, init?: RequestInit) => Promise<T>;

/**
 * Makes the client's `request` for `base`. `inspect` sees every response first (the
 * client reads `Job-Status-Min-Interval` and `Retry-After` there). A non-2xx status
 * rejects with type `http` and the server's `{error: {code, message}}` when present.
 */
export function createRequest(
  base: string,
  fetchFn: typeof fetch,
  inspect: (response: Response) => void,
): Request {
  return async (path, { method, body, headers = {}, signal, etags } = {}) => {
    let response: Response;
    let text: string;
    const tag = etags?.get(path);
    if (tag) headers['if-none-match'] = tag;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      response = await fetchFn(base + path, { method, headers, signal, body: JSON.stringify(body) });
      inspect(response);
      text = await response.text();
    } catch (error) {
      throw new JobStatusError(signal?.aborted ? 'aborted' : 'network', String(error));
    }
    const etag = response.headers.get('etag');
    if (etag) etags?.set(path, etag);
    let json: any;
    try {
      json = text && JSON.parse(text);
    } catch {
      if (response.ok) throw new JobStatusError('parse', `Unreadable answer: ${path}`);
    }
    const { status } = response;
    if (status < 300) return json;
    if (status === 304) return undefined as never;
    const error = isErrorBody(json) ? json.error : null;
    throw new JobStatusError('http', error?.message ?? `HTTP ${status}`, status, error?.code ?? null);
  };
}
