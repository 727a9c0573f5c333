/**
 * Part 2, polling cost: requests per second and latency of the poll routes against a
 * bare Hono route returning a constant, all served by one process, one scenario at a
 * time, at a fixed number of keep-alive connections. Scenarios take turns in short
 * slices over several rounds (after one unrecorded warm-up pass), so a machine that gets
 * busier or quieter during the run shifts every scenario alike, not one of them. The
 * server is plain JavaScript on plain Node: the package as published (`dist/`).
 */
import { Histogram } from '../lib/histogram.mjs';
import { buildPackages } from '../lib/build.mjs';
import { startWorker } from '../lib/workers.mjs';
import { pollScenarios } from './app.mjs';

export function pollingPlan(quick) {
  return quick
    ? { connections: 32, warmupMs: 200, rounds: 2, sliceMs: 600 }
    : { connections: 32, warmupMs: 1000, rounds: 4, sliceMs: 2500 };
}

export async function runPolling({ quick, log }) {
  const plan = pollingPlan(quick);
  buildPackages(log);
  const server = await startWorker('bench/polling/server.mjs');
  const client = await startWorker('bench/polling/client.mjs');
  const rows = [];
  try {
    const { port, running, finished } = await server.call('setup', {}, 60_000);
    const etag = await fetch(`http://127.0.0.1:${port}/jobs/${running[0]}`, { headers: { 'x-user': 'bench' } }).then((r) => r.headers.get('etag'));
    const scenarios = pollScenarios({ running, finished, etag });
    const load = (scenario, warmupMs, durationMs) =>
      client.call('load', { port, path: scenario.path, headers: scenario.headers ?? {}, connections: plan.connections, warmupMs, durationMs }, warmupMs + durationMs + 30_000);
    for (const scenario of scenarios) await load(scenario, plan.warmupMs, 1);
    const totals = new Map(scenarios.map((scenario) => [scenario.key, { requests: 0, seconds: 0, statuses: {}, hists: [], serverCpuMs: 0, clientCpuMs: 0, wallMs: 0 }]));
    for (let round = 0; round < plan.rounds; round++) {
      for (const scenario of scenarios) {
        const serverBefore = await server.call('usage');
        const result = await load(scenario, 100, plan.sliceMs);
        const serverAfter = await server.call('usage');
        const total = totals.get(scenario.key);
        total.requests += result.requests;
        total.seconds += result.seconds;
        for (const [status, count] of Object.entries(result.statuses)) total.statuses[status] = (total.statuses[status] ?? 0) + count;
        total.hists.push(result.hist);
        total.serverCpuMs += serverAfter.cpuMs - serverBefore.cpuMs;
        total.wallMs += serverAfter.at - serverBefore.at;
        total.clientCpuMs += result.after.cpuMs - result.before.cpuMs;
      }
    }
    for (const scenario of scenarios) {
      const total = totals.get(scenario.key);
      const hist = Histogram.merge(total.hists).summary();
      rows.push({
        scenario: scenario.name,
        key: scenario.key,
        ...(scenario.ids ? { ids: scenario.ids } : {}),
        requests: total.requests,
        statuses: total.statuses,
        req_per_s: total.requests / total.seconds,
        latency_ms: hist,
        server_cpu_pct: (100 * total.serverCpuMs) / total.wallMs,
        server_cpu_us_per_req: total.requests ? (total.serverCpuMs * 1000) / total.requests : null,
        client_cpu_pct: (100 * total.clientCpuMs) / (total.seconds * 1000),
      });
      const row = rows.at(-1);
      log(`  ${scenario.name}: ${Math.round(row.req_per_s)} req/s, p99 ${hist.p99?.toFixed(2)} ms, statuses ${JSON.stringify(total.statuses)}, server CPU ${Math.round(row.server_cpu_pct)}% (${row.server_cpu_us_per_req?.toFixed(1)} µs/req), client CPU ${Math.round(row.client_cpu_pct)}%`);
    }
  } finally {
    await server.call('close', {}, 15_000).catch(() => undefined);
    await Promise.all([server.stop(), client.stop()]);
  }
  return { plan, rows };
}
