import type { JobLogLine } from '@job-status/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { JobStatusError } from '../client/job-status-error.js';
import type { JobStatusClient, JobStatusClock } from '../client/types.js';
import { SequentialPoller } from '../internal/sequential-poller.js';

/** Lines asked for per request. */
const PAGE = 500;

/**
 * The tail of one job's log, lines only ever appended. While the client's stream is
 * live, the lines come over it (`watchLogs`, from the last line held) and nothing is
 * fetched. While it is not, the tail fetches the lines after the last one it holds
 * (`GET /:id/logs?after=`): on {@link LogTailController.poke} (a new snapshot may come
 * with new lines) and, while `busy` (the job may still write), every `interval` of the
 * client by the polling rules (after 3 failures in a row 10 s, doubling up to 2 min,
 * back on the first success). Fetches are sequential; a poke during one runs one more
 * after it. When the stream comes back after it was lost, the tail resumes it from the
 * last line it holds.
 *
 * @example
 * #tail = new LogTailController(this);
 * willUpdate() { this.#tail.follow(this.client, this.jobId); this.#tail.busy = running; }
 * updated() { if (seqChanged) this.#tail.poke(); }
 */
export class LogTailController implements ReactiveController {
  /** The lines so far, oldest first; at most `max`. */
  lines: readonly JobLogLine[] = [];
  /** The last fetch failure, cleared by the next success. */
  error: JobStatusError | null = null;
  /** Most lines kept; older ones are dropped. */
  max = 5000;

  /** Whether the job may still write lines: only then is the log polled. */
  get busy(): boolean {
    return this.#busy;
  }
  set busy(busy: boolean) {
    if (busy === this.#busy) return;
    this.#busy = busy;
    this.#plan();
  }

  /** Milliseconds until the next poll is due, by the polling rules (whether or not one is planned). */
  get pollDelay(): number {
    return this.#poller.delay;
  }

  readonly #host: ReactiveControllerHost;
  readonly #poller: SequentialPoller;
  #client: JobStatusClient | undefined;
  #jobId: string | null = null;
  #after = 0;
  #busy = false;
  #connected = false;
  #live = false;
  /** The stream was live, then lost: resume it from the last line held when it is back. */
  #lostLive = false;
  #unwatch: (() => void) | undefined;

  constructor(host: ReactiveControllerHost, options: { clock?: JobStatusClock } = {}) {
    (this.#host = host).addController(this);
    this.#poller = new SequentialPoller((signal) => this.#fetch(signal), {
      interval: 0,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** Tails `jobId`'s log through `client`; a different job starts from its first line. */
  follow(client: JobStatusClient | undefined, jobId: string | null): void {
    if (client === this.#client && jobId === this.#jobId) return;
    const sameJob = jobId === this.#jobId;
    this.#listen(false);
    this.#client = client;
    this.#jobId = jobId;
    this.#listen(this.#connected);
    if (!sameJob) {
      this.#poller.stop();
      this.lines = [];
      this.#after = 0;
      this.error = null;
    }
    this.#watch();
    this.poke();
  }

  /**
   * Fetches the lines after the last one held, now (or right after the fetch running),
   * unless the stream is live: then they come over it.
   */
  poke(): void {
    if (!this.#connected || !this.#client || !this.#jobId || this.#live) return;
    void this.#poller.run();
  }

  hostConnected(): void {
    this.#connected = true;
    document.addEventListener('visibilitychange', this.#onConnection);
    this.#listen(true);
    this.#watch();
    this.poke();
  }

  hostDisconnected(): void {
    this.#connected = false;
    document.removeEventListener('visibilitychange', this.#onConnection);
    this.#listen(false);
    this.#poller.stop();
    this.#watch();
    this.#plan();
  }

  #listen(on: boolean) {
    this.#client?.connection[on ? 'addEventListener' : 'removeEventListener']('change', this.#onConnection);
    if (on) this.#onConnection();
  }

  /** Hears the job's lines after the last one held over the stream, while connected. */
  #watch() {
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (this.#connected && this.#client && this.#jobId) {
      this.#unwatch = this.#client.watchLogs(this.#jobId, this.#after, (lines) => this.#append(lines));
    }
  }

  readonly #onConnection = () => {
    const live = this.#client?.connection.state === 'live';
    if (this.#live && !live) this.#lostLive = true;
    this.#live = live;
    if (live && this.#lostLive) {
      this.#lostLive = false;
      this.#watch();
    }
    this.#plan();
  };

  /** Polls while connected, the job busy, the page visible and the stream not live. */
  #plan() {
    const client = this.#client;
    this.#poller.interval = client?.interval ?? 0;
    this.#poller.periodic = this.#connected && this.#busy && !!client && !!this.#jobId && !this.#live && !document.hidden;
  }

  /** One look, page after page until the tail is reached; rejects when it failed, so the poller backs off. */
  async #fetch(signal: AbortSignal): Promise<void> {
    const client = this.#client!;
    const jobId = this.#jobId!;
    try {
      for (;;) {
        const { lines, next_after } = await client.logs(jobId, this.#after, { limit: PAGE, signal });
        if (signal.aborted) return;
        this.#append(lines);
        this.#after = Math.max(this.#after, next_after);
        this.error = null;
        if (lines.length < PAGE) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      this.error = error as JobStatusError;
      this.#host.requestUpdate();
      throw error;
    }
  }

  /** Appends the lines after the last one held; lines held already are ignored. */
  #append(lines: readonly JobLogLine[]) {
    const fresh = lines.filter((line) => line.seq > this.#after);
    if (!fresh.length) return;
    this.lines = [...this.lines, ...fresh].slice(-this.max);
    this.#after = fresh.at(-1)!.seq;
    this.#host.requestUpdate();
  }
}
