import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStatus, JobStore } from '@job-status/hono';
import { bullmqSource, createWorker } from '@job-status/hono/bullmq';
import type { BullmqKind, BullmqSource } from '@job-status/hono/bullmq';
import { REDIS_URL, skipMessage, uniqueName } from './fixtures/services.js';
import { spawnFixture, stopAll } from './fixtures/processes.js';
import type { Child } from './fixtures/processes.js';
import { headerAuth, listen, openStream, quietLogger } from './support.js';

const skip = skipMessage(['REDIS_URL']);
const QUEUE = uniqueName('js-test');
const PREFIX = uniqueName('js-test-bull');
const GATES = uniqueName('js-test-gates');

const KINDS: Record<string, BullmqKind> = {
  'report.build': { label: 'Build the monthly report' },
  // The backoff keeps the retry phase on screen long enough to be its own event.
  'report.flaky': { jobOptions: { attempts: 2, backoff: { type: 'fixed', delay: 1000 } } },
  'report.broken': { jobOptions: { attempts: 2 } },
  'report.slow': { jobOptions: { attempts: 3 } },
};

/** An app instance: a job service whose BullMQ kinds run on the worker process. */
function appInstance(store: JobStore, options: { instanceId?: string; ownerHeartbeatMs?: number; closeTimeoutMs?: number } = {}) {
  // A short close: a test that failed mid-job must not hold the clean-up up.
  const jobs = createJobStatus({ authorize: headerAuth, store, logger: quietLogger(), heartbeatMs: 60_000, closeTimeoutMs: 100, ...options });
  const source = bullmqSource({ queue: QUEUE, prefix: PREFIX, connection: REDIS_URL, kinds: KINDS, logger: quietLogger() });
  source.attach(jobs);
  const app = new Hono();
  app.route('/jobs', jobs.routes());
  return { jobs, source, app };
}

const admin = { 'x-user': 'admin' };
const phases = (updates: JobSnapshot[]) => updates.map((u) => u.phase).filter((p, i, all) => p !== null && p !== all[i - 1]);

describe.skipIf(skip !== null)('BullMQ: jobs that run on a worker in another process', { timeout: 60_000 }, () => {
  let redis: Redis;
  let jobs: JobStatus;
  let source: BullmqSource;
  let server: Awaited<ReturnType<typeof listen>>;
  let worker: Child;
  const release = (jobId: string) => redis.rpush(`${GATES}:${jobId}`, '1');

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    worker = spawnFixture('test/fixtures/bullmq-worker.ts', { REDIS_URL, QUEUE, PREFIX, GATES });
    const instance = appInstance(memoryStore());
    ({ jobs, source } = instance);
    server = await listen(instance.app);
    await Promise.all([worker.waitFor(/^READY$/), source.ready]);
  }, 60_000);

  afterAll(async () => {
    try {
      await server?.close();
      await jobs?.close();
      await source?.close();
    } finally {
      await stopAll();
    }
    const queue = new Queue(QUEUE, { connection: { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) }, prefix: PREFIX });
    await queue.obliterate({ force: true });
    await queue.close();
    const gates = await redis.keys(`${GATES}:*`);
    if (gates.length) await redis.del(...gates);
    redis?.disconnect();
  }, 30_000);

  const stream = async (kind: string) => {
    const opened = await openStream(`${server.url}/jobs/events?kind=${kind}`, admin);
    await opened.until(() => opened.events.some((e) => e.event === 'ready'));
    return opened;
  };
  const enqueue = async (kind: string) => (await jobs.enqueue(kind, null, { actor: 'admin' })).job_id;

  it('shows every step of a job the worker runs: hand-over, start, each phase and progress, logs, outcome', async () => {
    const onStream = await stream('report.build');
    const jobId = await enqueue('report.build');
    const seen = () => onStream.updates().filter((u) => u.job_id === jobId);
    await onStream.until(() => seen().some((u) => u.phase === 'Started on a worker'), 10_000);
    for (let section = 1; section <= 3; section++) {
      await release(jobId);
      await onStream.until(() => seen().some((u) => u.phase === `Section ${section} of 3`), 10_000);
    }
    await release(jobId);
    await onStream.until(() => seen().some((u) => u.state === 'success'), 10_000);

    expect(seen()[0]).toMatchObject({ state: 'queued', label: 'Build the monthly report' });
    expect(phases(seen())).toEqual(['Waiting for a worker', 'Started on a worker', 'Section 1 of 3', 'Section 2 of 3', 'Section 3 of 3'].filter((p) => phases(seen()).includes(p)));
    expect(phases(seen()).slice(-3)).toEqual(['Section 1 of 3', 'Section 2 of 3', 'Section 3 of 3']);
    expect(seen().flatMap((u) => (u.progress?.current ? [u.progress.current] : [])).filter((c, i, all) => c !== all[i - 1])).toEqual([1, 2, 3]);
    expect(seen().at(-1)).toMatchObject({ state: 'success', message: 'Report ready.', result: { sections: 3 }, has_logs: true, error: null });
    expect((await jobs.logs(jobId)).map((l) => [l.level, l.message])).toEqual([
      ['info', 'Wrote section 1'],
      ['info', 'Wrote section 2'],
      ['info', 'Wrote section 3'],
    ]);
    await onStream.close();
  });

  it('shows an attempt that failed and was retried by BullMQ, then the outcome of the retry', async () => {
    const onStream = await stream('report.flaky');
    const jobId = await enqueue('report.flaky');
    const seen = () => onStream.updates().filter((u) => u.job_id === jobId);
    await onStream.until(() => seen().some((u) => u.state === 'warning'), 15_000);
    expect(phases(seen())).toContain('Attempt 1 of 2 failed: The archive was busy. Retrying in 1 s.');
    expect(seen().at(-1)).toMatchObject({ state: 'warning', message: 'Report ready with gaps.', error: null });
    expect((await jobs.logs(jobId)).map((l) => [l.level, l.message])).toEqual([
      ['error', 'Attempt 1 of 2 failed: The archive was busy. BullMQ will try again.'],
      ['warn', 'Two sections were empty.'],
    ]);
    await onStream.close();
  });

  it('ends a job that fails every attempt as failed, with the worker\'s code and hint and the attempts it took', async () => {
    const onStream = await stream('report.broken');
    const jobId = await enqueue('report.broken');
    const seen = () => onStream.updates().filter((u) => u.job_id === jobId);
    await onStream.until(() => seen().some((u) => u.state === 'failed'), 15_000);
    // Retried at once: the retry's phase may be replaced before it is sent, its log line stays.
    expect((await jobs.logs(jobId)).map((l) => [l.level, l.message])).toEqual([
      ['error', 'Attempt 1 of 2 failed: The template is missing. BullMQ will try again.'],
      ['error', 'Attempt 2 of 2 failed: The template is missing.'],
      // The registry ends every failed job's log with its error and hint.
      ['error', 'Gave up after 2 attempts: The template is missing. Upload the report template under Settings, then run it again.'],
    ]);
    expect(seen().at(-1)).toMatchObject({
      state: 'failed',
      message: 'Gave up after 2 attempts: The template is missing.',
      error: { code: 'no_template', message: 'Gave up after 2 attempts: The template is missing.', hint: 'Upload the report template under Settings, then run it again.' },
    });
    await onStream.close();
  });

  it('cancels a running job on the worker, and BullMQ does not retry it', async () => {
    const jobId = await enqueue('report.slow');
    for (let i = 0; (await jobs.get(jobId))?.phase !== 'Working'; i++) {
      if (i > 400) throw new Error('the worker never started the job');
      await new Promise((r) => setTimeout(r, 25));
    }
    const response = await fetch(`${server.url}/jobs/${jobId}/cancel`, { method: 'POST', headers: admin });
    expect(response.status).toBe(202);
    expect(await jobs.get(jobId)).toMatchObject({ state: 'canceled' });
    const queue = new Queue(QUEUE, { connection: { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) }, prefix: PREFIX });
    try {
      for (let i = 0; (await queue.getJob(jobId).then((job) => job?.getState())) !== 'failed'; i++) {
        if (i > 400) {
          const job = await queue.getJob(jobId);
          throw new Error(`the worker never stopped the job: ${JSON.stringify({ state: await job?.getState(), attemptsMade: job?.attemptsMade, progress: job?.progress })}\n${worker.lines.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      const job = await queue.getJob(jobId);
      expect({ attemptsMade: job!.attemptsMade, failedReason: job!.failedReason }).toEqual({ attemptsMade: 1, failedReason: 'Canceled.' });
    } finally {
      await queue.close();
    }
  });

  it('lets another instance take over following a job when the instance that followed it stops', async () => {
    const store = memoryStore();
    // Beats slow enough that a busy machine never makes a live instance look dead.
    const first = appInstance(store, { instanceId: 'first', ownerHeartbeatMs: 300, closeTimeoutMs: 50 });
    const second = appInstance(store, { instanceId: 'second', ownerHeartbeatMs: 300 });
    try {
      await Promise.all([first.source.ready, second.source.ready, first.jobs.ready, second.jobs.ready]);
      const { job_id: jobId } = await first.jobs.enqueue('report.build');
      await release(jobId);
      for (let i = 0; (await second.jobs.get(jobId))?.phase !== 'Section 1 of 3'; i++) {
        if (i > 400) throw new Error('the worker never reached section 1');
        await new Promise((r) => setTimeout(r, 25));
      }
      // The first instance stops; the job goes on in BullMQ and the second follows it.
      await first.jobs.close();
      await first.source.close();
      expect((await second.jobs.get(jobId))?.state).toBe('running');
      await release(jobId);
      await release(jobId);
      await release(jobId);
      for (let i = 0; (await second.jobs.get(jobId))?.state === 'running'; i++) {
        if (i > 600) throw new Error('the second instance never finished the job');
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await second.jobs.get(jobId)).toMatchObject({ state: 'success', message: 'Report ready.', progress: { current: 3, total: 3 } });
      expect((await second.jobs.logs(jobId)).map((l) => l.message)).toEqual(['Wrote section 1', 'Wrote section 2', 'Wrote section 3']);
    } finally {
      await first.jobs.close();
      await first.source.close();
      await second.jobs.close();
      await second.source.close();
    }
  });
});

describe('BullMQ bridge configuration', () => {
  it('throws at construction, with the job-status prefix, for a bad queue, connection or kinds', () => {
    expect(() => bullmqSource({ queue: 'a b', connection: 'redis://x', kinds: { k: {} } })).toThrow(/^job-status: bullmqSource `queue`/);
    expect(() => bullmqSource({ queue: 'q', connection: 'http://x', kinds: { k: {} } })).toThrow(/^job-status: bullmqSource `connection`/);
    expect(() => bullmqSource({ queue: 'q', connection: 'redis://x', kinds: {} })).toThrow(/^job-status: bullmqSource needs `kinds`/);
    expect(() => createWorker({ queue: 'q', connection: 'redis://x', kinds: { k: {} as never } })).toThrow(/^job-status: createWorker kind "k" needs a run function/);
    expect(() => createWorker({ queue: 'q', connection: 'redis://x', kinds: { k: { run: () => undefined } }, concurrency: 0 })).toThrow(/^job-status: createWorker `concurrency`/);
  });
});
