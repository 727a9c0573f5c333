/**
 * The baseline fan-out server: the bare broadcaster of `baselines/`, fed by the same
 * emitter with a payload of the same shape and size as a job-status snapshot.
 */
import { randomUUID } from 'node:crypto';
import { createBroadcaster } from '../baselines/sse-broadcaster.mjs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serveCommands, usage, wallNow } from '../lib/workers.mjs';
import { emitAtRate, stamp } from './emitter.mjs';

let broadcaster = null;
let jobs = [];
let seq = 0;
let emitter = null;
const epoch = randomUUID().slice(0, 8);

serveCommands({
  async setup({ jobCount, maxBufferedBytes }) {
    broadcaster = createBroadcaster({ maxBufferedBytes });
    const now = new Date().toISOString();
    jobs = Array.from({ length: jobCount }, (_, i) => ({
      job_id: randomUUID(),
      kind: 'bench.tick',
      target: `job-${i}`,
      label: `bench.tick job-${i}`,
      state: 'running',
      phase: 'waiting',
      progress: null,
      message: null,
      error: null,
      created_at: now,
      started_at: now,
      finished_at: null,
      updated_at: now,
      seq: 0,
      has_logs: false,
      actor: null,
    }));
    await new Promise((resolve) => broadcaster.server.listen(0, '127.0.0.1', resolve));
    return { port: broadcaster.server.address().port, jobIds: jobs.map((job) => job.job_id) };
  },

  async run({ run, rate, durationMs }) {
    const published = {};
    const startedAt = wallNow();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    emitter = emitAtRate({
      rate,
      durationMs,
      maxBurst: Math.min(jobs.length, 10),
      emit: (i) => {
        const job = jobs[i % jobs.length];
        job.phase = stamp(run, wallNow());
        job.seq = ++seq;
        job.updated_at = new Date().toISOString();
        broadcaster.publish(job.job_id, `${epoch}-${job.seq}`, JSON.stringify(job));
        published[job.job_id] = (published[job.job_id] ?? 0) + 1;
      },
    });
    const result = await emitter.done;
    emitter = null;
    await new Promise((r) => setTimeout(r, 50));
    loop.disable();
    const loopDelay = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
    return { ...result, startedAt, loopDelay, published };
  },

  stop() {
    emitter?.stop();
  },

  stats() {
    globalThis.gc?.();
    return { ...usage(), streams: broadcaster?.streams() ?? 0 };
  },

  usage: () => usage(),

  async close() {
    broadcaster?.server.closeAllConnections();
    broadcaster?.server.close();
  },
});
