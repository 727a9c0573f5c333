import type { JobSnapshot, JobState } from '@job-status/protocol';
import type { SseSink } from './sink.js';

/** Which jobs a stream carries. Empty sets mean "no filter of this kind". */
export interface StreamFilter {
  jobs: ReadonlySet<string>;
  kinds: ReadonlySet<string>;
  targets: ReadonlySet<string>;
  states?: ReadonlySet<JobState>;
}

/** True when the filter names a scope (kind, target or state), not only jobs. */
export function isScoped(filter: StreamFilter): boolean {
  return filter.kinds.size > 0 || filter.targets.size > 0 || (filter.states?.size ?? 0) > 0;
}

/**
 * True when the stream carries the job: it is named by `job=` (or `log=`), or it matches
 * every dimension of the `kind=`/`target=`/`state=` scope; a stream without any filter
 * carries every job.
 */
export function matchesFilter(filter: StreamFilter, job: JobSnapshot): boolean {
  if (filter.jobs.has(job.job_id)) return true;
  if (!isScoped(filter)) return filter.jobs.size === 0;
  const states = filter.states;
  return (
    (filter.kinds.size === 0 || filter.kinds.has(job.kind)) &&
    (filter.targets.size === 0 || (job.target !== null && filter.targets.has(job.target))) &&
    (!states?.size || states.has(job.state))
  );
}

const encoder = new TextEncoder();

/**
 * One open stream: writes go to its sink, which buffers what the client has not read;
 * once more than `maxBufferedBytes` wait there, the reader is too slow and the stream is
 * closed (the client resumes from its last event id).
 */
export class SseSession<P = unknown> {
  readonly principal: P;
  readonly callerId: string;
  readonly filter: StreamFilter;
  readonly sink: SseSink;
  /** Live events that arrive before the replay is sent, with their seq. */
  pending: Array<[number, Uint8Array]> | null = [];
  #closed = false;
  #pendingBytes = 0;
  readonly #onClose: (session: SseSession<P>, reason: string) => void;
  readonly #maxBufferedBytes: number;

  /** `makeSink` receives the function to call when the client goes away. */
  constructor(
    principal: P,
    callerId: string,
    filter: StreamFilter,
    maxBufferedBytes: number,
    onClose: (session: SseSession<P>, reason: string) => void,
    makeSink: (gone: () => void) => SseSink,
  ) {
    this.principal = principal;
    this.callerId = callerId;
    this.filter = filter;
    this.#onClose = onClose;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.sink = makeSink(() => this.#release('disconnected'));
  }

  get closed() {
    return this.#closed;
  }

  /** Sends bytes; closes the stream instead when its reader has fallen too far behind. */
  send(chunk: Uint8Array | string): void {
    if (this.#closed) return;
    this.sink.write(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    if (this.sink.buffered > this.#maxBufferedBytes) {
      this.abort(`job-status: closed a stream whose reader fell more than ${this.#maxBufferedBytes} bytes behind; it resumes on reconnect`);
    }
  }

  /**
   * Waits until at most `bytes` of this stream wait to be read. A reader that takes
   * nothing for `stallMs` is cut off. Resolves false when the stream is closed.
   */
  async room(bytes: number, stallMs: number): Promise<boolean> {
    if (this.#closed) return false;
    if (this.sink.buffered <= bytes) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), stallMs)));
    const outcome = await Promise.race([this.sink.drained(bytes), stalled]);
    clearTimeout(timer);
    if (outcome === 'stalled') this.abort(`job-status: closed a stream that read none of its backlog for ${stallMs / 1000} s`);
    return !this.#closed;
  }

  /**
   * Live delivery: held back while the replay is being sent, then sent in order. What is
   * held counts toward the slow-reader bound too: a reader slow to take its replay while
   * the live events pile up is closed like any slow reader (it resumes on reconnect).
   */
  deliver(seq: number, chunk: Uint8Array): void {
    if (!this.pending) return this.send(chunk);
    this.pending.push([seq, chunk]);
    this.#pendingBytes += chunk.byteLength;
    if (this.#pendingBytes + this.sink.buffered > this.#maxBufferedBytes) {
      this.abort(`job-status: closed a stream whose reader fell more than ${this.#maxBufferedBytes} bytes behind during its replay; it resumes on reconnect`);
    }
  }

  /** Ends the stream after what is buffered. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#release(reason);
    this.sink.end();
  }

  /** Ends the stream at once, dropping what is buffered (the server logs `reason` once). */
  abort(reason: string): void {
    if (this.#closed) return;
    this.#release(reason);
    this.sink.destroy(reason);
  }

  #release(reason: string) {
    if (this.#closed) return;
    this.#closed = true;
    this.pending = null;
    this.#onClose(this, reason);
  }
}
