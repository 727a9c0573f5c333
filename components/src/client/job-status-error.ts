/** What went wrong, by kind: no answer, an error status, an unreadable body, or aborted. */
export type JobStatusErrorType = 'network' | 'http' | 'parse' | 'aborted';

/**
 * Every failure the client reports. `type` says what kind of failure it is; for an
 * HTTP error, `status` is the response status and `code`/`message` come from the
 * server's `{error: {code, message}}` body when it sent one.
 *
 * @example
 * try { await client.cancel(id); }
 * catch (e) { if (e instanceof JobStatusError && e.status === 409) showAlreadyFinished(); }
 */
export class JobStatusError extends Error {
  override readonly name = 'JobStatusError';
  /** `network` (no answer), `http` (error status), `parse` (unreadable body) or `aborted`. */
  readonly type: JobStatusErrorType;
  /** The HTTP status for `http` errors; null otherwise. */
  readonly status: number | null;
  /** The server's machine-readable code (e.g. `not_found`), or a client code; null when none. */
  readonly code: string | null;

  constructor(
    type: JobStatusErrorType,
    message: string,
    status: number | null = null,
    code: string | null = null,
  ) {
    super(message);
    this.type = type;
    this.status = status;
    this.code = code;
  }
}
