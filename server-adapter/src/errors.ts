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

/**
 * Why the registry aborted a handler's `ctx.signal`:
 * - `canceled`: someone canceled the job; it is `canceled` already.
 * - `timeout`: it ran past its kind's `timeoutMs`; it is `failed` with code `timeout` already.
 * - `taken-over`: another process took the job over (this one's heartbeat lapsed); the
 *   job goes on there, and nothing this handler does reaches it any more.
 * - `closing`: the process is shutting down and `closeTimeoutMs` has passed; the job is
 *   recovered on the next start (as `interrupted`, or followed again with `resume`).
 */
export type JobAbortReason = 'canceled' | 'timeout' | 'taken-over' | 'closing';

const ABORT_MESSAGES: Record<JobAbortReason, string> = {
  canceled: 'The job was canceled.',
  timeout: 'The job ran longer than its timeout.',
  'taken-over': 'Another process took over this job.',
  closing: 'The server is shutting down.',
};

/**
 * The `reason` of a handler's `ctx.signal` once the registry aborts it; switch on
 * {@link JobAbortedError.reason}. Its `name` is `AbortError`, as the `DOMException` of a
 * bare `abort()`, so code that tells aborts apart by name (and `fetch`, which rejects with
 * the signal's reason) treats it as one.
 *
 * @example
 * run: async (ctx) => {
 *   ctx.signal.addEventListener('abort', () => {
 *     const { reason } = ctx.signal.reason as JobAbortedError
 *     if (reason === 'taken-over' || reason === 'closing') return // the work goes on elsewhere
 *     stopRemoteWork()
 *   })
 * }
 */
export class JobAbortedError extends Error {
  readonly reason: JobAbortReason;

  constructor(reason: JobAbortReason) {
    super(ABORT_MESSAGES[reason]);
    this.name = 'AbortError';
    this.reason = reason;
  }
}
