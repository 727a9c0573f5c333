import type { JobLogLine } from '@job-status/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { JobStatusError } from '../client/job-status-error.js';
import type { JobStatusClient } from '../client/types.js';

/** Lines asked for per request. */
const PAGE = 500;

/**
 * The tail of one job's log: fetches the lines after the last one it holds
 * (`GET /:id/logs?after=`), so lines only ever append. Fetches are sequential; a
 * {@link LogTailController.poke} during a fetch runs one more after it. While `interval`
 * is above 0 it also looks every `interval` milliseconds, because new lines do not
 * always come with a new snapshot.
 *
 * @example
 * #tail = new LogTailController(this);
 * willUpdate() { this.#tail.follow(this.client, this.jobId); this.#tail.interval = busy ? 3000 : 0; }
 * updated() { if (seqChanged) this.#tail.poke(); }
 */
export class LogTailController implements ReactiveController {
  /** The lines so far, oldest first; at most `max`. */
  lines: readonly JobLogLine[] = [];
  /** The last fetch failure, cleared by the next success. */
  error: JobStatusError | null = null;
  /** Most lines kept; older ones are dropped. */
  max = 5000;

  /** Milliseconds between looks while the job runs; 0 stops them. */
  get interval(): number {
    return this.#interval;
  }
  set interval(ms: number) {
    if (ms === this.#interval) return;
    this.#interval = ms;
    this.#schedule();
  }

  readonly #host: ReactiveControllerHost;
  #client: JobStatusClient | undefined;
  #jobId: string | null = null;
  #after = 0;
  #interval = 0;
  #fetching = false;
  #again = false;
  #abort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connected = false;

  constructor(host: ReactiveControllerHost) {
    (this.#host = host).addController(this);
  }

  /** Tails `jobId`'s log through `client`; a different job starts from its first line. */
  follow(client: JobStatusClient | undefined, jobId: string | null): void {
    if (client === this.#client && jobId === this.#jobId) return;
    const sameJob = jobId === this.#jobId;
    this.#client = client;
    this.#jobId = jobId;
    if (!sameJob) {
      this.#abort?.abort();
      this.#fetching = false;
      this.lines = [];
      this.#after = 0;
      this.error = null;
    }
    this.poke();
  }

  /** Fetches the lines after the last one held, now (or right after the fetch running). */
  poke(): void {
    if (!this.#connected || !this.#client || !this.#jobId) return;
    if (this.#fetching) {
      this.#again = true;
      return;
    }
    void this.#fetch(this.#client, this.#jobId);
  }

  hostConnected(): void {
    this.#connected = true;
    this.poke();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#abort?.abort();
    this.#fetching = false;
    clearTimeout(this.#timer);
  }

  async #fetch(client: JobStatusClient, jobId: string) {
    this.#fetching = true;
    clearTimeout(this.#timer);
    const abort = (this.#abort = new AbortController());
    try {
      do {
        this.#again = false;
        const { lines, next_after } = await client.logs(jobId, this.#after, { limit: PAGE, signal: abort.signal });
        if (abort.signal.aborted) return;
        const fresh = lines.filter((line) => line.seq > this.#after);
        if (fresh.length) {
          this.lines = [...this.lines, ...fresh].slice(-this.max);
          this.#host.requestUpdate();
        }
        this.#after = Math.max(this.#after, next_after);
        this.error = null;
        if (lines.length >= PAGE) this.#again = true;
      } while (this.#again && !abort.signal.aborted);
    } catch (error) {
      if (abort.signal.aborted) return;
      this.error = error as JobStatusError;
      this.#host.requestUpdate();
    }
    this.#fetching = false;
    this.#schedule();
  }

  #schedule() {
    clearTimeout(this.#timer);
    if (this.#connected && this.#interval > 0 && !this.#fetching) this.#timer = setTimeout(() => this.poke(), this.#interval);
  }
}
