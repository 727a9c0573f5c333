/**
 * The JavaScript a poll costs inside `app.fetch` (Hono's routing, job-status's handler,
 * the answer's headers), without the socket: the bench's app in this process, each
 * scenario's request answered `N` times in a row, the time per request taken over many
 * short rounds (scenarios and packages taking turns) and reported as the minimum and the
 * quartiles, which a busy machine disturbs much less than a load test's req/s.
 *
 *   node bench/polling/fetch-cost.mjs [rounds] [dist directory ...]
 *
 * With directories (each a copy of `server-adapter/dist`, for instance one built from an
 * older commit), each is timed side by side; without, the built package (`npm run build`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { pollingApp, pollScenarios } from './app.mjs';

// The lightweight Request and Response of @hono/node-server, as under `serve()`.
getRequestListener(() => new Response(null));
const [rounds = '20', ...dists] = process.argv.slice(2);
const packages = dists.length
  ? dists.map((dir) => ({ label: dir, main: pathToFileURL(resolve(dir, 'index.js')).href, sqlite: pathToFileURL(resolve(dir, 'stores/sqlite-store.js')).href }))
  : [{ label: '@job-status/hono', main: '@job-status/hono', sqlite: '@job-status/hono/sqlite' }];
const benches = [];
for (const { label, main, sqlite } of packages) {
  const bench = await pollingApp({ pkg: await import(main), sqlite: await import(sqlite) });
  const base = 'http://127.0.0.1:8080';
  const first = await bench.app.fetch(new Request(`${base}/jobs/${bench.running[0]}`, { headers: { 'x-user': 'bench' } }));
  const scenarios = pollScenarios({ ...bench, etag: first.headers.get('etag') });
  for (const scenario of scenarios) {
    scenario.requests = Array.from({ length: 64 }, () => new Request(`${base}${scenario.path}`, { headers: scenario.headers ?? {} }));
    const { status } = await bench.app.fetch(scenario.requests[0]);
    if (status !== (scenario.key === 'id_304' ? 304 : 200)) throw new Error(`${label} ${scenario.key}: answered ${status}`);
  }
  benches.push({ label, bench, scenarios, times: new Map() });
}
for (let round = 0; round < Number(rounds); round++) {
  for (const entry of round % 2 ? [...benches].reverse() : benches) {
    for (const scenario of entry.scenarios) {
      const n = scenario.ids > 5 ? 2000 : 10_000;
      const started = process.hrtime.bigint();
      // Every answer here is made synchronously: the loop times the whole of each request.
      for (let i = 0; i < n; i++) entry.bench.app.fetch(scenario.requests[i & 63]);
      const us = Number(process.hrtime.bigint() - started) / n / 1000;
      entry.times.set(scenario.key, [...(entry.times.get(scenario.key) ?? []), us]);
    }
  }
}
console.log(`app.fetch, µs a request over ${rounds} rounds: min / p25 / median`);
for (const scenario of benches[0].scenarios) {
  for (const { label, times } of benches) {
    const sorted = times.get(scenario.key).sort((a, b) => a - b);
    const at = (q) => sorted[Math.floor(q * (sorted.length - 1))].toFixed(2);
    console.log(`${scenario.name.padEnd(38)} ${label.padEnd(20)} ${at(0)} / ${at(0.25)} / ${at(0.5)}`);
  }
}
for (const { bench } of benches) await bench.close();
