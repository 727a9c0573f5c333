import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { JobStatusError } from '../errors.js';
import type { JobStatusLogger } from '../options.js';

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'unavailable',
};

/**
 * What a route throws, answered as the wire contract says. Each handler catches its own
 * errors (rather than `app.onError`): Hono wraps every route of a sub-app that has its
 * own error handler in one more composed, async layer when the app mounts it, three
 * layers on every poll.
 */
export function errorAnswer(error: unknown, c: Context, logger: JobStatusLogger): Response {
  if (error instanceof Error) c.error = error;
  // A body left unread would be taken for the next request on this connection: close it.
  if (hasUnreadBody(c.req.raw)) c.header('Connection', 'close');
  if (error instanceof JobStatusError) {
    if (error.retryAfterS !== null) c.header('Retry-After', String(error.retryAfterS));
    return c.json(error.toBody(), error.status as ContentfulStatusCode);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return c.json({ error: { code: STATUS_CODES[status] ?? 'error', message: error.message || 'The request was refused.' } }, status);
  }
  // An internal error's message may hold secrets: log it, never send it.
  logger.error({ err: error instanceof Error ? (error.stack ?? error.message) : String(error), path: c.req.path }, 'job-status: internal error');
  return c.json({ error: { code: 'internal', message: 'Something went wrong on the server; the error was logged.' } }, 500);
}

/** True when the request came with a body that nothing has read. */
function hasUnreadBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  const sent = request.headers.has('transfer-encoding') || (length !== null && length !== '0');
  return sent && !request.bodyUsed;
}
