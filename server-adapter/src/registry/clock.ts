/**
 * Time as the registry reads and waits on it: owner heartbeats and the lapse that
 * recovers a dead owner's jobs, handler timeouts, the close timeout, retention rounds, and
 * the times it writes on jobs and log lines. The same shape as the client's
 * `JobStatusClock`; a test passes one it moves by hand instead of sleeping.
 */
export interface JobStatusClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`; a handle that already fired is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The global `Date.now` and timers: the default. */
export const systemClock: JobStatusClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The clock's time now, as the ISO 8601 text jobs and log lines carry. */
export const isoNow = (clock: JobStatusClock) => new Date(clock.now()).toISOString();

/** Lets a timer of the global clock not hold the process open (another clock's handle is left alone). */
function unref(handle: unknown) {
  (handle as { unref?: () => void } | null)?.unref?.();
}

/**
 * Calls `tick` every `ms` milliseconds until the returned function is called, as
 * `setInterval` would (the next call is planned before `tick` runs, so a slow tick does
 * not stretch the period), on timers that never hold the process open.
 */
export function repeat(clock: JobStatusClock, ms: number, tick: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const plan = () => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      plan();
      tick();
    }, ms);
    unref(handle);
  };
  plan();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
