/** Part 6, store: runs bench/store/worker.ts in its own process and collects its figures. */
import { startWorker } from '../lib/workers.mjs';

export function storePlan(quick) {
  return quick
    ? { durationMs: 1000, rows: 50_000, repeats: 50, budgetMs: 2000 }
    : { durationMs: 5000, rows: 1_000_000, repeats: 200, budgetMs: 15_000 };
}

export async function runStore({ quick, log }) {
  const plan = storePlan(quick);
  const worker = await startWorker('bench/store/worker.ts', { ts: true });
  try {
    const raw = await worker.call('raw', { durationMs: plan.durationMs }, plan.durationMs + 30_000);
    log(`  raw better-sqlite3, one transaction per update: ${Math.round(raw.per_s)} updates/s`);
    const off = await worker.call('progress', { coalesceMs: 0, durationMs: plan.durationMs }, plan.durationMs + 30_000);
    log(`  SQLite store, coalescing off: ${Math.round(off.per_s)} updates/s (all written: ${off.all_written})`);
    const on = await worker.call('progress', { coalesceMs: 250, durationMs: plan.durationMs }, plan.durationMs + 30_000);
    log(`  SQLite store, coalescing on (250 ms): ${Math.round(on.per_s)} updates/s (all written: ${on.all_written})`);
    const history = await worker.call('history', { rows: plan.rows, repeats: plan.repeats, budgetMs: plan.budgetMs }, 15 * 60_000);
    log(`  history over ${history.rows} jobs (filled in ${history.fill_s.toFixed(1)} s, ${history.db_mb.toFixed(0)} MB): overall p99 ${history.overall.p99.toFixed(2)} ms`);
    for (const [name, q] of Object.entries(history.queries)) log(`    ${name}: p50 ${q.p50.toFixed(2)} ms, p99 ${q.p99.toFixed(2)} ms, max ${q.max.toFixed(2)} ms, n ${q.n}, ${q.rows.toFixed(1)} rows/page`);
    return { plan, raw, coalescing_off: off, coalescing_on: on, history };
  } finally {
    await worker.call('close').catch(() => undefined);
    await worker.stop();
  }
}
