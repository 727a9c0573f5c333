/**
 * The polling server: `@job-status/hono` as it is published (the plain JavaScript of its
 * `dist/`, built by `run.mjs` first: what an app runs), with the SQLite store, 20 running jobs
 * (read from the registry's memory) and 20 finished ones (read from SQLite), plus the
 * bare Hono baseline route at `/bare`, all in one @hono/node-server process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createJobStatus } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { honoConstant } from '../baselines/hono-constant.mjs';
import { serveCommands, usage } from '../lib/workers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'job-status-bench-'));
/** @type {Array<() => void>} */
const release = [];
const jobs = createJobStatus({
  store: sqliteStore({ path: join(dir, 'jobs.db') }),
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
/** @type {ReturnType<typeof serve> | null} */
let server = null;

serveCommands({
  async setup() {
    await jobs.ready;
    const running = [];
    const finished = [];
    for (let i = 0; i < 20; i++) running.push((await jobs.enqueue('bench.hold', null, { target: `peer-${i}` })).job_id);
    for (let i = 0; i < 20; i++) finished.push((await jobs.enqueue('bench.done', null, { target: `peer-${i}` })).job_id);
    const deadline = Date.now() + 10_000;
    const settled = async () => (await jobs.list({ states: ['success'], limit: 100 })).jobs.length >= 20;
    while ((release.length < 20 || !(await settled())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', () => resolve()));
    return { port: server.address().port, running, finished };
  },
  usage: () => usage(),
  async close() {
    for (const resolve of release) resolve();
    server?.closeAllConnections?.();
    server?.close();
    await jobs.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
