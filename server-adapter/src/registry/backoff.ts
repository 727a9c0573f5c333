/** How long to wait before the next try of something that failed: doubling, capped, with jitter. */
export interface Backoff {
  /** Milliseconds to wait before try number `attempt + 1` (`attempt` counts failures so far, from 0). */
  delay(attempt: number): number;
}

/** Options of {@link exponentialBackoff}, in milliseconds. */
export interface BackoffOptions {
  /** First wait. Default 500. */
  initialMs?: number;
  /** Longest wait. Default 30 000. */
  maxMs?: number;
}

/**
 * Doubles from `initialMs` up to `maxMs`; each wait is drawn from 80–120 % of that, so
 * processes that failed together do not all retry in the same millisecond.
 */
export function exponentialBackoff({ initialMs = 500, maxMs = 30_000 }: BackoffOptions = {}): Backoff {
  return {
    delay: (attempt) => Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30)) * (0.8 + Math.random() * 0.4),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. The timer does not keep the process alive. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal?.addEventListener('abort', done, { once: true });
  });
}
