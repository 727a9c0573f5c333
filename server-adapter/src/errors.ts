import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from '@job-status/protocol';

/**
 * A failure the caller can act on: a machine `code`, a `message` that names the field
 * at fault, and the HTTP status the routes answer with.
 */
export class JobStatusError extends HTTPException {
  readonly code: string;
  /**
   * Seconds after which the same request may succeed (a 429 or 503 answer carries it as
   * `Retry-After`); null when waiting will not help.
   */
  readonly retryAfterS: number | null;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: { retryAfterS?: number } = {}) {
    super(status, { message });
    this.name = 'JobStatusError';
    this.code = code;
    this.retryAfterS = options.retryAfterS === undefined ? null : Math.max(1, Math.ceil(options.retryAfterS));
  }

  /** The `{error: {code, message}}` body every route answers with. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * Throw this from a job handler to fail the job with a `code` and, best of all, a `hint`
 * that tells the admin what to do next. Any other thrown error fails the job too: its
 * `code` and `hint` properties are used when present.
 *
 * @example
 * throw new JobFailure('The peer refused the key.', { code: 'auth_rejected', hint: 'Rotate the key under Settings, then push again.' })
 */
export class JobFailure extends Error {
  readonly code: string;
  readonly hint: string | null;

  constructor(message: string, options: { code?: string; hint?: string | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'JobFailure';
    this.code = options.code ?? 'failed';
    this.hint = options.hint ?? null;
  }
}
