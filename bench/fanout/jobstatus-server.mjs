/**
 * The fan-out server under test: `@job-status/hono` as it is published (the plain
 * JavaScript of its `dist/`, built by `run.mjs` first: what an app runs) on @hono/node-server,
 * the SQLite store (default coalescing) in a temporary folder, one principal per
 * subscriber (so the per-caller stream limit does not apply), and a `bench.tick` job
 * kind whose handlers stay running so the emitter can move them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createJobStatus, memoryBus, memoryStore } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serveCommands, usage, wallNow } from '../lib/workers.mjs';
import { emitAtRate, stamp } from './emitter.mjs';

const dir = mkdtempSync(join(tmpdir(), 'job-status-bench-'));
/** @type {import('@job-status/hono').JobStatus | null} */
let jobs = null;
/** @type {ReturnType<typeof serve> | null} */
let server = null;
/** @type {import('@job-status/hono').JobContext[]} */
const contexts = [];
/** @type {Array<() => void>} */
const release = [];
/** @type {ReturnType<typeof emitAtRate> | null} */
let emitter = null;

/** Counts, per job, the changes of the current run that the registry actually published. */
let marker = '';
/** @type {Map<string, number>} */
let published = new Map();
const inner = memoryBus();
/** @type {import('@job-status/hono').JobBus} */
const bus = {
  publish(message) {
    if (marker && message.type === 'job' && message.snapshot.phase?.startsWith(marker)) {
      published.set(message.snapshot.job_id, (published.get(message.snapshot.job_id) ?? 0) + 1);
    }
    return inner.publish(message);
  },
  subscribe: (listener) => inner.subscribe(listener),
  close: () => inner.close(),
};

serveCommands({
  async setup({ jobCount, maxBufferedBytes, store = 'sqlite' }) {
    jobs = createJobStatus({
      store: store === 'memory' ? memoryStore() : sqliteStore({ path: join(dir, 'jobs.db') }),
      bus,
      authorize: (c) => ({ id: c.req.header('x-bench-sub') ?? 'anonymous' }),
      // Every job is enqueued at once and waits to start: the queue bounds must hold them all.
      limits: { maxBufferedBytes, maxQueuedPerKind: jobCount, maxQueuedJobs: jobCount },
      logger: { info: () => undefined, error: (record) => console.error('job-status server:', JSON.stringify(record)) },
    });
    jobs.define('bench.tick', {
      run: (ctx) =>
        new Promise((resolve) => {
          ctx.phase('waiting');
          contexts.push(ctx);
          release.push(resolve);
        }),
    });
    await jobs.ready;
    const app = new Hono();
    app.route('/', jobs.routes());
    const jobIds = [];
    for (let i = 0; i < jobCount; i++) jobIds.push((await jobs.enqueue('bench.tick', null, { target: `job-${i}` })).job_id);
    const deadline = Date.now() + 10_000;
    while (contexts.length < jobCount && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (contexts.length < jobCount) throw new Error(`only ${contexts.length} of ${jobCount} jobs started`);
    // Contexts in the order of jobIds, so the emitter's index i moves jobIds[i].
    contexts.sort((a, b) => jobIds.indexOf(a.jobId) - jobIds.indexOf(b.jobId));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', () => resolve()));
    return { port: server.address().port, jobIds };
  },

  async run({ run, rate, durationMs }) {
    marker = `t:${run}:`;
    published = new Map();
    const n = contexts.length;
    const startedAt = wallNow();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    emitter = emitAtRate({ rate, durationMs, maxBurst: Math.min(n, 10), emit: (i) => contexts[i % n].phase(stamp(run, wallNow())) });
    const result = await emitter.done;
    emitter = null;
    // Let the last saves publish before counting.
    await new Promise((r) => setTimeout(r, 50));
    loop.disable();
    const loopDelay = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
    return { ...result, startedAt, loopDelay, published: Object.fromEntries(published) };
  },

  stop() {
    emitter?.stop();
  },

  stats() {
    globalThis.gc?.();
    return { ...usage(), streams: jobs?.streams ?? 0 };
  },

  usage: () => usage(),

  async close() {
    for (const resolve of release) resolve();
    server?.closeAllConnections?.();
    server?.close();
    await jobs?.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
