import { JobStatusError } from '../errors.js';

/** Seconds a caller refused for a full queue is told to wait. */
const QUEUE_FULL_RETRY_S = 10;

/**
 * Bounds the jobs waiting to start, per kind and in all, so a flood of enqueues cannot
 * fill memory or push a legitimate job hours back. A job holds its place from the moment
 * it is admitted until it starts, is canceled, or fails to be created.
 */
export class QueueBounds {
  readonly #maxPerKind: number;
  readonly #maxTotal: number;
  readonly #perKind = new Map<string, number>();
  #total = 0;

  constructor(options: { maxQueuedPerKind: number; maxQueuedJobs: number }) {
    this.#maxPerKind = options.maxQueuedPerKind;
    this.#maxTotal = options.maxQueuedJobs;
  }

  /** Takes a place for a job of `kind`, or throws 503 `queue_full` with `Retry-After`. */
  admit(kind: string) {
    const ofKind = this.#perKind.get(kind) ?? 0;
    if (ofKind >= this.#maxPerKind) {
      throw new JobStatusError(503, 'queue_full', `kind: ${this.#maxPerKind} jobs of ${kind} are already waiting to start; try again later`, { retryAfterS: QUEUE_FULL_RETRY_S });
    }
    if (this.#total >= this.#maxTotal) {
      throw new JobStatusError(503, 'queue_full', `${this.#maxTotal} jobs are already waiting to start; try again later`, { retryAfterS: QUEUE_FULL_RETRY_S });
    }
    this.#perKind.set(kind, ofKind + 1);
    this.#total++;
  }

  /** Gives back the place of a job of `kind` that started, was canceled or was never made. */
  release(kind: string) {
    const ofKind = this.#perKind.get(kind) ?? 0;
    if (ofKind <= 0) return;
    if (ofKind === 1) this.#perKind.delete(kind);
    else this.#perKind.set(kind, ofKind - 1);
    this.#total--;
  }

  /** Jobs waiting to start, in all. */
  get queued() {
    return this.#total;
  }
}

/** Callers whose buckets are tracked at most; full buckets are forgotten first. */
const MAX_TRACKED_CALLERS = 10_000;

/**
 * A token bucket per caller: `burst` enqueues at once, refilled at `perMinute`. The next
 * enqueue over it gets 429 `rate_limited` with `Retry-After` (when a token is back).
 */
export class CallerRateLimit {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: { perMinute: number; burst: number; now?: () => number }) {
    this.#burst = options.burst;
    this.#perMs = options.perMinute / 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Spends one of the caller's tokens, or throws 429. */
  take(callerId: string) {
    const now = this.#now();
    const bucket = this.#buckets.get(callerId) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      throw new JobStatusError(429, 'rate_limited', `Too many jobs started by this caller: at most ${this.#burst} at once and ${Math.round(this.#perMs * 60_000)} a minute`, {
        retryAfterS: (1 - bucket.tokens) / this.#perMs / 1000,
      });
    }
    bucket.tokens--;
    this.#buckets.delete(callerId);
    this.#buckets.set(callerId, bucket);
    if (this.#buckets.size > MAX_TRACKED_CALLERS) this.#forgetLongestIdle();
  }

  /** Drops the longest-idle bucket; a forgotten caller simply starts full again. */
  #forgetLongestIdle() {
    const oldest = this.#buckets.keys().next().value;
    if (oldest !== undefined) this.#buckets.delete(oldest);
  }
}
