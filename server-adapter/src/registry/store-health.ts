import { JobStatusError } from '../errors.js';
import type { JobStatusLogger } from '../options.js';
import type { JobStore } from '../stores/store.js';
import { pause } from './backoff.js';
import type { Backoff } from './backoff.js';

/** How long a request waits for the first try to open the store before it gets 503 (a connect that hangs). */
const FIRST_TRY_WAIT_MS = 5000;

/** `opening`: not open yet; `open`: writes go through; `down`: the last write failed. */
export type StoreState = 'opening' | 'open' | 'down';

export interface StoreHealthOptions {
  logger: JobStatusLogger;
  backoff: Backoff;
  /** Seconds a refused enqueue is told to wait (`Retry-After`). */
  retryAfterS: number;
}

/**
 * Whether the store can take writes now, as seen by everything that writes to it: opens it
 * (again and again, with backoff, until it opens), refuses new jobs with 503 and
 * `Retry-After` while it is not open or its writes fail, and logs each outage once when it
 * starts and once when it ends. Reads are never refused here: they serve what is known.
 */
export class StoreHealth {
  readonly #options: StoreHealthOptions;
  #state: StoreState = 'opening';
  /** The first try to open has settled; until then requests wait for it rather than fail. */
  #firstTry: Promise<void>;
  #firstTried!: () => void;
  #downSince = 0;
  #failures = 0;

  constructor(options: StoreHealthOptions) {
    this.#options = options;
    this.#firstTry = new Promise((resolve) => (this.#firstTried = resolve));
  }

  get state(): StoreState {
    return this.#state;
  }

  /**
   * Opens the store, retrying with backoff until it opens or `signal` aborts (then it
   * rejects). Never lets a failure escape otherwise: each failed try is logged.
   */
  async open(store: JobStore, signal: AbortSignal): Promise<{ epoch: string }> {
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new Error('job-status: closed before the store opened');
      try {
        const opened = await store.open();
        if (attempt > 0) {
          this.#options.logger.info({ event: 'store.opened', attempts: attempt + 1, waited_ms: Date.now() - this.#downSince }, 'job-status: the store opened; serving jobs');
        }
        this.#state = 'open';
        this.#firstTried();
        return opened;
      } catch (error) {
        if (attempt === 0) this.#downSince = Date.now();
        const wait = this.#options.backoff.delay(attempt);
        this.#options.logger.error(
          { event: 'store.open_failed', err: messageOf(error), attempt: attempt + 1, retry_in_ms: Math.round(wait) },
          'job-status: the store did not open; routes answer 503 until it does, retrying',
        );
        this.#firstTried();
        await pause(wait, signal);
      }
    }
  }

  /** A write failed: the store is down from now until a write succeeds. */
  failed(error: unknown) {
    this.#failures++;
    if (this.#state !== 'open') return;
    this.#state = 'down';
    this.#downSince = Date.now();
    this.#failures = 1;
    this.#options.logger.error(
      { event: 'store.down', err: messageOf(error) },
      'job-status: the store cannot write; running jobs keep their updates in order and retry, new jobs get 503',
    );
  }

  /** A write went through: an outage, if there was one, is over. */
  succeeded() {
    if (this.#state !== 'down') return;
    this.#state = 'open';
    this.#options.logger.info(
      { event: 'store.recovered', down_ms: Date.now() - this.#downSince, failed_writes: this.#failures },
      'job-status: the store writes again',
    );
  }

  /** Waits for the first try to open (up to 5 s); then throws 503 with `Retry-After` unless the store is open. */
  async whenOpened(): Promise<void> {
    if (this.#state === 'opening') {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#firstTry, new Promise((resolve) => (timer = setTimeout(resolve, FIRST_TRY_WAIT_MS)))]);
      clearTimeout(timer);
    }
    if (this.#state === 'opening') throw this.unavailable('The job service is starting: its store has not opened yet.');
  }

  /** Throws 503 with `Retry-After` while the store cannot take a new job. */
  assertWritable() {
    if (this.#state === 'opening') throw this.unavailable('The job service is starting: its store has not opened yet.');
    if (this.#state === 'down') throw this.unavailable('The job store cannot save new jobs right now.');
  }

  /** The 503 a request gets while the store cannot write. */
  unavailable(message: string) {
    return new JobStatusError(503, 'store_unavailable', `${message} Try again in a few seconds.`, { retryAfterS: this.#options.retryAfterS });
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True for an error that retrying cannot fix: the data itself cannot be written (it does
 * not serialize, breaks a constraint, or is too big), as opposed to a store that is
 * unreachable, locked or out of space for now.
 */
export function isDataError(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  // PostgreSQL classes 22 (data exception) and 23 (integrity); SQLite's equivalents.
  return /^2[23]/.test(code) || /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH)/.test(code);
}
