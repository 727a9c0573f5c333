/**
 * Waits until `check()` holds, looking every 10 ms, and fails after `timeoutMs` naming
 * `what`. The bound only turns a hang into a readable failure; no test depends on it.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 8000) {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until `check()` resolves true (for server-side conditions), looking every 20 ms. */
export async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves after `count` animation frames: by then every batch scheduled before (16 ms apart at most) has run. */
export async function frames(count = 2) {
  for (let i = 0; i < count; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
}
