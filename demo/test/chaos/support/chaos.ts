
/**
 * How hard the chaos suite pushes. `CHAOS=full` (what `npm run test:chaos` sets) runs
 * the long versions; anything else runs the short ones that `npm test` includes.
 */
export const FULL = process.env.CHAOS === 'full';

/** The short value, or the full one under `CHAOS=full`. */
export const pick = <T>(short: T, full: T): T => (FULL ? full : short);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A seeded random source (mulberry32), so a failing run can be repeated with
 * `CHAOS_SEED=<the seed it printed>`.
 */
export function randomSource(seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    /** A whole number in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    /** An exponentially distributed delay with this mean. */
    exp: (mean: number) => -Math.log(1 - next()) * mean,
  };
}
export type Random = ReturnType<typeof randomSource>;

/** Waits until `check()` holds, every `every` ms, at most `ms`; returns whether it held. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, every = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(every);
  }
}

/**
 * Prints what a chaos test tried and what was lost, as one block the reliability report
 * (docs/reliability.md) quotes.
 */
export function printReport(title: string, sections: Record<string, Record<string, string | number>>) {
  const lines = [`\n=== ${title} (${FULL ? 'CHAOS=full' : 'short'}) ===`];
  for (const [section, rows] of Object.entries(sections)) {
    lines.push(`${section}:`);
    for (const [key, value] of Object.entries(rows)) lines.push(`  ${key.padEnd(46)} ${value}`);
  }
  console.log(lines.join('\n'));
}

/** Percentile of a list of numbers (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Counts by key, printed as `a 3, b 1`. */
export function tally(keys: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
}

/** Signs in to the demo at `url` as `user` through its login form; resolves with the session cookie. */
export async function signIn(url: string, user = 'admin') {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: `user=${encodeURIComponent(user)}`,
    redirect: 'manual',
  });
  return response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}
