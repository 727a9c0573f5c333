/** Part 7, telemetry: runs bench/telemetry/worker.ts in its own process and sums its rounds up. */
import { startWorker } from '../lib/workers.mjs';

export function telemetryPlan(quick) {
  return quick ? { jobs: 300, rounds: 3, parallel: 50 } : { jobs: 2000, rounds: 7, parallel: 50 };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function runTelemetry({ quick, log }) {
  const plan = telemetryPlan(quick);
  const worker = await startWorker('bench/telemetry/worker.ts', { ts: true });
  try {
    const rounds = await worker.call('run', plan, 10 * 60_000);
    const summary = {};
    for (const [variant, values] of Object.entries(rounds)) {
      const cpu = values.map((v) => v.cpuUsPerJob);
      summary[variant] = { cpu_us_per_job: median(cpu), cpu_min: Math.min(...cpu), cpu_max: Math.max(...cpu), jobs_per_s: median(values.map((v) => v.perSecond)), rounds: values };
    }
    const base = summary.none.cpu_us_per_job;
    // The spread of the baseline's own rounds: a difference within it is noise.
    const noise = (summary.none.cpu_max - summary.none.cpu_min) / base;
    for (const [variant, s] of Object.entries(summary)) {
      log(`  ${variant}: ${Math.round(s.cpu_us_per_job)} µs CPU per job (${(s.cpu_us_per_job / base).toFixed(2)}× no telemetry; rounds ${s.rounds.map((r) => Math.round(r.cpuUsPerJob)).join(', ')}), ${Math.round(s.jobs_per_s)} jobs/s`);
    }
    log(`  noise (spread of the no-telemetry rounds): ±${((noise / 2) * 100).toFixed(1)} %`);
    return { plan, summary, noise };
  } finally {
    await worker.stop();
  }
}
