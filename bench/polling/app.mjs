/**
 * The polling bench's app, shared by the HTTP server (`server.mjs`) and the in-process
 * timing of `app.fetch` (`fetch-cost.mjs`): `@job-status/hono` with the SQLite store in a
 * temporary directory, 20 running jobs (read from the registry's memory) and 20 finished
 * ones (read from SQLite), plus the bare Hono baseline route at `/bare`, in one Hono app.
 * `pkg` is the package's main module and `sqlite` its `/sqlite` module.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { honoConstant } from '../baselines/hono-constant.mjs';

export async function pollingApp({ pkg, sqlite }) {
  const dir = mkdtempSync(join(tmpdir(), 'job-status-bench-'));
  /** @type {Array<() => void>} */
  const release = [];
  const jobs = pkg.createJobStatus({
    store: sqlite.sqliteStore({ path: join(dir, 'jobs.db') }),
    authorize: (c) => (c.req.header('x-user') ? { id: c.req.header('x-user') } : null),
    logger: { info: () => undefined, error: (record) => console.error('job-status server:', JSON.stringify(record)) },
  });
  jobs.define('bench.hold', {
    run: (ctx) =>
      new Promise((resolve) => {
        ctx.phase('Holding');
        ctx.progress({ current: 3, total: 10, unit: 'files' });
        release.push(resolve);
      }),
  });
  jobs.define('bench.done', { run: () => ({ message: 'Done: 10 files.' }) });

  const app = new Hono();
  app.route('/bare', honoConstant());
  app.route('/jobs', jobs.routes());

  await jobs.ready;
  const running = [];
  const finished = [];
  for (let i = 0; i < 20; i++) running.push((await jobs.enqueue('bench.hold', null, { target: `peer-${i}` })).job_id);
  for (let i = 0; i < 20; i++) finished.push((await jobs.enqueue('bench.done', null, { target: `peer-${i}` })).job_id);
  const deadline = Date.now() + 10_000;
  const settled = async () => (await jobs.list({ states: ['success'], limit: 100 })).jobs.length >= 20;
  while ((release.length < 20 || !(await settled())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return {
    app,
    running,
    finished,
    async close() {
      for (const resolve of release) resolve();
      await jobs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bench's requests: the bare route, then the poll routes; `etag` is the running job's current ETag. */
export function pollScenarios({ running, finished, etag }) {
  const auth = { 'x-user': 'bench' };
  return [
    { name: 'bare Hono route (baseline)', key: 'bare', path: '/bare' },
    { name: 'GET /:id 304 (If-None-Match)', key: 'id_304', path: `/jobs/${running[0]}`, headers: { ...auth, 'If-None-Match': etag } },
    { name: 'GET /:id 200 (running job)', key: 'id_200', path: `/jobs/${running[0]}`, headers: auth },
    { name: 'GET /:id 200 (finished job, SQLite)', key: 'id_200_stored', path: `/jobs/${finished[0]}`, headers: auth },
    // How the cost grows with the number of ids: half running (memory), half finished (SQLite).
    ...[1, 5, 20, 40].map((n) => ({
      name: `GET /?ids= ${n} id${n === 1 ? '' : 's'}`,
      key: `ids_${n}`,
      ids: n,
      path: `/jobs?ids=${[...running.slice(0, Math.floor(n / 2)), ...finished.slice(0, Math.ceil(n / 2))].join(',')}`,
      headers: auth,
    })),
  ];
}
