/**
 * Calls `emit(i)` `rate` times a second for `durationMs`, catching up after a late timer
 * so the count stays right even when the process is busy. A catch-up burst is cut into
 * batches of at most `maxBurst` calls with a macrotask between them, so a server that
 * folds changes made in one tick (the job-status registry does) sees each call as its
 * own change, as it would from handlers running at this rate. Bounded: it stops at the
 * count, at `graceMs` after the duration even mid catch-up (a server that cannot keep
 * up is offered less, and `emitted` says how much), or when `stop()` is called.
 */
export function emitAtRate({ rate, durationMs, emit, maxBurst = Infinity, graceMs = 2000 }) {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let emitted = 0;
  let stopped = false;
  let timer;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  let finished = false;
  const tick = () => {
    if (finished) return;
    const elapsed = performance.now() - start;
    const late = elapsed > durationMs + graceMs;
    const due = stopped || late ? emitted : Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
    let burst = 0;
    while (emitted < due) {
      emit(emitted++);
      if (++burst >= maxBurst && emitted < due) return void setImmediate(tick);
    }
    if (stopped || late || emitted >= total) {
      finished = true;
      clearInterval(timer);
      resolveDone({ emitted, total, elapsedMs: performance.now() - start, stopped });
    }
  };
  timer = setInterval(tick, Math.max(1, Math.min(10, 1000 / rate)));
  tick();
  return { done, stop: () => (stopped = true) };
}

/** The phase text that carries a run id and the emit time: `t:<run>:<ms since epoch>`. */
export const stamp = (run, at) => `t:${run}:${at.toFixed(3)}`;
