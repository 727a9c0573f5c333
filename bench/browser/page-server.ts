/**
 * The bench's own page server: job-status from source, the elements bundle built by the
 * bench, a page of N tiles (part 4), and a stand-in for the demo's "Push now" tile
 * (part 3, used only while the demo's page is missing). It counts the API requests the
 * page makes, so "one stream, no polling" is checked, not assumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createJobStatus } from '@job-status/hono';
import type { JobContext } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { serveCommands } from '../lib/workers.mjs';
import { emitAtRate } from '../fanout/emitter.mjs';

const dir = mkdtempSync(join(tmpdir(), 'job-status-bench-page-'));
const held: JobContext[] = [];
const release: Array<() => void> = [];
const requests = { streams: 0, other: 0 };
let elementsJs = '';
let server: ReturnType<typeof serve> | null = null;
/** Step of the stand-in push job, in ms (the demo's 250 ms times its delay scale). */
let stepMs = 12.5;

const jobs = createJobStatus({
  store: sqliteStore({ path: join(dir, 'jobs.db') }),
  authorize: () => ({ id: 'bench' }),
  logger: { info: () => undefined, error: (record) => console.error('page server:', JSON.stringify(record)) },
});
jobs.define('bench.tile', {
  run: (ctx) =>
    new Promise<void>((resolve) => {
      ctx.phase('Uploading records');
      ctx.progress({ current: 0, total: 1_000_000, unit: 'files' });
      held.push(ctx);
      release.push(resolve);
    }),
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Shaped like the demo's sync.push: connect, 12 progress steps, verify. */
jobs.define('bench.push', {
  label: (_input, target) => `Push to ${target}`,
  run: async (ctx) => {
    ctx.phase('Connecting to peer');
    await pause(stepMs * 1.6);
    ctx.phase('Uploading records');
    for (let done = 10; done <= 120; done += 10) {
      await pause(stepMs);
      ctx.progress({ current: done, total: 120, unit: 'files' });
    }
    ctx.phase('Verifying');
    await pause(stepMs * 1.2);
    return { message: 'Pushed 120 files to peer-a.' };
  },
});

const page = (body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>job-status bench</title>` +
  `<script type="module" src="/elements.js"></script></head><body>` +
  `<job-status-provider base-url="/api/jobs">${body}</job-status-provider></body></html>`;

const app = new Hono();
app.use('/api/jobs/*', async (c, next) => {
  if (c.req.path.endsWith('/events')) requests.streams++;
  else requests.other++;
  await next();
});
app.route('/api/jobs', jobs.routes());
app.get('/elements.js', (c) => c.body(elementsJs, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
app.get('/tiles', (c) => c.html(page(held.map((ctx) => `<job-status job-id="${ctx.jobId}"></job-status>`).join('\n'))));
app.get('/stand-in', (c) =>
  c.html(
    page(
      `<job-trigger kind="bench.push" target="peer-a" for="push-peer-a"><button type="button">Push now</button></job-trigger>` +
        `<job-status id="push-peer-a" kind="bench.push" target="peer-a" empty-message="Not pushed yet"></job-status>`,
    ),
  ),
);

let emitter: ReturnType<typeof emitAtRate> | null = null;

serveCommands({
  async setup({ js, tiles, step }: { js: string; tiles: number; step: number }) {
    elementsJs = js;
    stepMs = step;
    await jobs.ready;
    for (let i = 0; i < tiles; i++) await jobs.enqueue('bench.tile', null, { target: `tile-${i}` });
    const deadline = Date.now() + 10_000;
    while (held.length < tiles && Date.now() < deadline) await pause(5);
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    return { port: (server.address() as AddressInfo).port, tiles: held.length };
  },
  /** Moves the tiles' progress `rate` times a second, round robin; returns each job's last value. */
  async run({ rate, durationMs }: { rate: number; durationMs: number }) {
    const last: Record<string, number> = {};
    emitter = emitAtRate({
      rate,
      durationMs,
      emit: (i: number) => {
        const ctx = held[i % held.length]!;
        const current = Math.floor(i / held.length) + 1;
        ctx.progress({ current, total: 1_000_000, unit: 'files' });
        last[ctx.jobId] = current;
      },
    });
    const result = await emitter.done;
    emitter = null;
    return { ...result, last };
  },
  requests: () => ({ ...requests, open: jobs.streams }),
  async close() {
    emitter?.stop();
    for (const resolve of release) resolve();
    (server as unknown as { closeAllConnections?: () => void } | null)?.closeAllConnections?.();
    server?.close();
    await jobs.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
