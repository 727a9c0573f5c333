/**
 * Part 1, SSE fan-out: N subscribers on one server process, in two shapes (broadcast:
 * every stream watches every job; topic: N/10 jobs with 10 streams each), updates at a
 * fixed rate, load clients in their own processes. Each configuration runs first against
 * the bare node:http baseline, then against job-status, one after the other.
 *
 * Both servers are plain JavaScript on plain Node: the job-status server runs the package
 * as it is published (`dist/`, which this part builds from the sources first), not the
 * TypeScript sources through a loader, which would add the loader's own memory and work.
 */
import { execFileSync } from 'node:child_process';
import { Histogram } from '../lib/histogram.mjs';
import { buildPackages } from '../lib/build.mjs';
import { cpuPercent, sleep, startWorker, wallNow } from '../lib/workers.mjs';

const SERVERS = {
  baseline: { file: 'bench/fanout/baseline-server.mjs', ts: false },
  'job-status': { file: 'bench/fanout/jobstatus-server.mjs', ts: false },
};
const CLIENT_PROCESSES = 2;
/** Slow readers are cut off past this many unsent bytes, by both servers. */
const MAX_BUFFERED_BYTES = 256 * 1024;
/** A run stops emitting when the server passes this RSS (keeps a saturated run off swap). */
const RSS_GUARD = 4 * 1024 **3;
const BROADCAST_JOBS = 100;

export function fanoutPlan(quick) {
  if (process.env.BENCH_FANOUT_PLAN) return JSON.parse(process.env.BENCH_FANOUT_PLAN);
  return quick
    ? { sizes: [200], rates: [100, 1000], hot: { sizes: [200], rates: [100] }, durationMs: 1500, drainMs: 3000, settleMs: 500 }
    : { sizes: [1000, 5000, 10_000], rates: [100, 1000], hot: { sizes: [1000], rates: [100] }, durationMs: 10_000, drainMs: 15_000, settleMs: 2000 };
}

function openFileLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || null;
  } catch {
    return null;
  }
}

/** Jobs the server runs for a shape: broadcast spreads over 100, topic has n/10, hot has one. */
const jobsFor = (shape, n) => (shape === 'broadcast' ? BROADCAST_JOBS : shape === 'hot' ? 1 : Math.max(1, Math.round(n / 10)));

/** Subscribers: index, the path it opens and the job it watches (null: every job). */
function subscribers(shape, n, jobIds) {
  return Array.from({ length: n }, (_, index) => {
    if (shape === 'broadcast') return { index, path: '/events', job: null };
    if (shape === 'hot') return { index, path: `/events?job=${jobIds[0]}`, job: jobIds[0] };
    const job = jobIds[Math.floor(index / 10) % jobIds.length];
    return { index, path: `/events?job=${job}`, job };
  });
}

async function measureConfig({ impl, shape, n, rates, plan, log, notes }) {
  const jobCount = jobsFor(shape, n);
  const spec = SERVERS[impl];
  const server = await startWorker(spec.file, { ts: spec.ts, execArgv: ['--expose-gc', ...(process.env.BENCH_SERVER_FLAGS ? process.env.BENCH_SERVER_FLAGS.split(' ') : [])] });
  const clients = [];
  const rows = [];
  try {
    const { port, jobIds } = await server.call('setup', { jobCount, maxBufferedBytes: MAX_BUFFERED_BYTES, store: plan.store ?? 'sqlite' }, 60_000);
    const base = await server.call('stats');
    for (let i = 0; i < CLIENT_PROCESSES; i++) clients.push(await startWorker('bench/fanout/client.mjs'));
    const all = subscribers(shape, n, jobIds);
    const beforeConnect = await server.call('usage');
    const t0 = performance.now();
    const opened = await Promise.all(
      clients.map((client, c) =>
        client.call('connect', { port, subs: all.filter((s) => s.index % clients.length === c), concurrency: 100, timeoutMs: 30_000 }, 120_000),
      ),
    );
    const connectMs = performance.now() - t0;
    // CPU the server spent opening the streams: steadier than the wall time on a busy machine.
    const connectCpuMs = (await server.call('usage')).cpuMs - beforeConnect.cpuMs;
    const connected = opened.reduce((sum, r) => sum + r.connected, 0);
    const errors = Object.assign({}, ...opened.map((r) => r.errors));
    await sleep(plan.settleMs);
    const idle = await server.call('stats');
    const rssPerIdleKB = connected ? (idle.rss - base.rss) / connected / 1024 : null;
    log(`  ${impl} ${shape} n=${n}: ${connected} connected in ${Math.round(connectMs)} ms (server CPU ${connected ? Math.round((connectCpuMs * 1000) / connected) : '–'} µs per stream), idle RSS ${(idle.rss / 2 ** 20).toFixed(0)} MB`);

    // Warm-up (not recorded): the first events through a fresh process pay for JIT compilation.
    await Promise.all(clients.map((client) => client.call('begin', { run: 'warmup' })));
    await server.call('run', { run: 'warmup', rate: rates[0], durationMs: 500 }, 30_000);
    await sleep(200);
    await Promise.all(clients.map((client) => client.call('end')));

    for (const [r, rate] of rates.entries()) {
      if (r > 0) await Promise.all(clients.map((client) => client.call('reopen', { concurrency: 100, timeoutMs: 30_000 }, 120_000)));
      const run = `${impl === 'baseline' ? 'b' : 'j'}${shape[0]}${n}r${rate}`;
      const begun = await Promise.all(clients.map((client) => client.call('begin', { run })));
      const serverBefore = await server.call('usage');
      let peakRss = serverBefore.rss;
      let guarded = false;
      const emitting = server.call('run', { run, rate, durationMs: plan.durationMs }, plan.durationMs + 30_000);
      let settled = false;
      void emitting.then(() => (settled = true), () => (settled = true));
      while (!settled) {
        await Promise.race([emitting.catch(() => undefined), sleep(500)]);
        if (settled) break;
        const now = await server.call('usage');
        if (process.env.BENCH_DEBUG) log(`      t=${Math.round(performance.now() - t0)} ms rss ${(now.rss / 2 ** 20).toFixed(0)} MB`);
        peakRss = Math.max(peakRss, now.rss);
        if (now.rss > RSS_GUARD && !guarded) {
          guarded = true;
          await server.call('stop');
        }
      }
      const result = await emitting;
      const expectedOf = (watching) =>
        Object.entries(watching).reduce(
          (sum, [job, count]) => sum + count * (job === '*' ? Object.values(result.published).reduce((a, b) => a + b, 0) : (result.published[job] ?? 0)),
          0,
        );
      const reports0 = await Promise.all(clients.map((client) => client.call('report')));
      const expected = reports0.reduce((sum, report) => sum + expectedOf(report.watching), 0);
      // Drain: wait for the rest, until everything arrived, nothing moved for 2 s, or the drain time is up.
      const drainEnd = performance.now() + plan.drainMs;
      let last = -1;
      let still = performance.now();
      for (;;) {
        const progress = await Promise.all(clients.map((client) => client.call('progress')));
        const got = progress.reduce((sum, p) => sum + p.received, 0);
        if (got >= expected || performance.now() > drainEnd) break;
        if (got !== last) [last, still] = [got, performance.now()];
        else if (performance.now() - still > 2000) break;
        await sleep(200);
      }
      const serverAfter = await server.call('usage');
      peakRss = Math.max(peakRss, serverAfter.rss);
      const reports = await Promise.all(clients.map((client) => client.call('report')));
      await Promise.all(clients.map((client) => client.call('end')));
      const received = reports.reduce((sum, report) => sum + report.received, 0);
      const hist = Histogram.merge(reports.map((report) => report.hist)).summary();
      const lastAt = Math.max(...reports.map((report) => report.lastAt ?? 0));
      const spanS = Math.max(plan.durationMs, lastAt - result.startedAt) / 1000;
      const watching = begun.reduce((sum, b) => sum + b.watching, 0);
      if (result.emitted < result.total) notes.push(`${impl} ${shape} n=${n} ${rate}/s: the server emitted ${result.emitted} of ${result.total} updates before the emit window closed (it could not keep up)`);
      rows.push({
        impl,
        shape,
        subscribers: n,
        rate,
        connected: watching,
        connect_errors: errors,
        connect_ms: Math.round(connectMs),
        connect_server_cpu_us_per_stream: connected ? (connectCpuMs * 1000) / connected : null,
        emitted: result.emitted,
        emit_target: result.total,
        emit_s: result.elapsedMs / 1000,
        published: Object.values(result.published).reduce((a, b) => a + b, 0),
        // Updates the handlers made that went out inside a later event (the registry's folding).
        folded: result.emitted - Object.values(result.published).reduce((a, b) => a + b, 0),
        expected,
        received,
        lost: Math.max(0, expected - received),
        duplicates: reports.reduce((sum, report) => sum + report.duplicates, 0),
        closed_during_run: reports.reduce((sum, report) => sum + report.closedDuringRun, 0),
        latency_ms: hist,
        offered_per_s: expected / (plan.durationMs / 1000),
        delivered_fraction: expected ? received / expected : null,
        delivered_per_s: received / spanS,
        server_cpu_pct: cpuPercent(serverBefore, serverAfter),
        server_loop_delay_ms: result.loopDelay,
        server_cpu_us_per_delivery: received ? ((serverAfter.cpuMs - serverBefore.cpuMs) * 1000) / received : null,
        server_rss_mb: serverAfter.rss / 2 ** 20,
        server_peak_rss_mb: peakRss / 2 ** 20,
        rss_per_idle_conn_kb: rssPerIdleKB,
        idle_rss_mb: idle.rss / 2 ** 20,
        client_cpu_pct: reports.map((report, i) => cpuPercent(begun[i].usage, report.usage)),
        rss_guard_tripped: guarded,
      });
      const row = rows.at(-1);
      log(
        `    ${rate}/s: ${result.emitted} updates, ${row.published} events (${row.folded} folded), ${received}/${expected} delivered, p99 ${fmt(hist.p99)} ms, ${Math.round(row.delivered_per_s)}/s delivered, ` +
          `server CPU ${Math.round(row.server_cpu_pct)}% (${fmt(row.server_cpu_us_per_delivery)} µs/delivery), loop delay p99 ${fmt(result.loopDelay.p99)} max ${fmt(result.loopDelay.max)} ms, clients ${row.client_cpu_pct.map((c) => `${Math.round(c)}%`).join(' ')}`,
      );
    }
  } finally {
    await Promise.all(clients.map((client) => client.call('close').catch(() => undefined)));
    await Promise.all(clients.map((client) => client.stop()));
    await server.call('close', {}, 15_000).catch(() => undefined);
    await server.stop();
  }
  return rows;
}

const fmt = (v) => (v === null || v === undefined ? '–' : v.toFixed(2));

export async function runFanout({ quick, log }) {
  const plan = fanoutPlan(quick);
  const limit = openFileLimit();
  const notes = [];
  const sizes = plan.sizes.filter((n) => {
    // The server holds n sockets, each client process n / CLIENT_PROCESSES.
    if (limit === null || n + 200 <= limit) return true;
    notes.push(`skipped ${n} subscribers: the open-file limit is ${limit} (ulimit -n) and cannot be raised here`);
    return false;
  });
  if ((plan.impls ?? ['baseline', 'job-status']).includes('job-status')) buildPackages(log);
  const rows = [];
  const configs = [];
  for (const n of sizes) for (const shape of plan.shapes ?? ['broadcast', 'topic']) configs.push({ shape, n, rates: plan.rates });
  // One job watched by many streams: every update goes to all of them.
  if (plan.hot) for (const n of plan.hot.sizes.filter((size) => limit === null || size + 200 <= limit)) configs.push({ shape: 'hot', n, rates: plan.hot.rates });
  for (const { shape, n, rates } of configs) {
    for (const impl of plan.impls ?? ['baseline', 'job-status']) {
      try {
        rows.push(...(await measureConfig({ impl, shape, n, rates, plan, log, notes })));
      } catch (error) {
        notes.push(`${impl} ${shape} n=${n} failed: ${error.message.split('\n')[0]}`);
        log(`  ${notes.at(-1)}`);
      }
    }
  }
  return { plan: { ...plan, clientProcesses: CLIENT_PROCESSES, maxBufferedBytes: MAX_BUFFERED_BYTES, broadcastJobs: BROADCAST_JOBS, openFileLimit: limit }, rows, notes };
}
