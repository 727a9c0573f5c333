import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobSnapshot } from '@job-status/protocol';
import { JobFailure, createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStatus } from '@job-status/hono';
import { gate, quietLogger } from './support.js';

let jobs: JobStatus;
let logger: ReturnType<typeof quietLogger>;
let settled: JobSnapshot[];

function setup(options: Parameters<typeof createJobStatus>[0] extends infer O ? Partial<O> : never = {}) {
  logger = quietLogger();
  settled = [];
  jobs = createJobStatus({ authorize: () => ({ id: 'admin' }), logger, onSettled: (s) => void settled.push(s), ...options });
  return jobs;
}

/** Waits until the job reaches a terminal state, reading it the way a poller would. */
async function settledJob(id: string, ms = 3000): Promise<JobSnapshot> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await jobs.get(id);
    if (job && ['success', 'warning', 'failed', 'canceled'].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not settle: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(async () => {
  await jobs?.close();
});

describe('JobRegistry', () => {
  describe('when a job is enqueued', () => {
    it('answers queued at once and runs the handler after', async () => {
      setup();
      const started = gate();
      let ran = false;
      jobs.define('t.run', { run: async () => void (ran = true, started.open()) });
      const snapshot = await jobs.enqueue('t.run', null, { target: 'peer-a', actor: 'ada' });
      expect(snapshot).toMatchObject({ state: 'queued', kind: 't.run', target: 'peer-a', actor: 'ada', started_at: null, label: 't.run peer-a' });
      expect(ran).toBe(false);
      await started.promise;
      expect((await settledJob(snapshot.job_id)).state).toBe('success');
    });

    it('records phase, progress, logs and the returned message and result', async () => {
      setup();
      jobs.define('t.steps', {
        label: (_input, target) => `Push to ${target}`,
        run: async (ctx) => {
          ctx.phase('Uploading');
          ctx.progress({ current: 25, total: 100, unit: 'files' });
          ctx.log('info', 'uploaded 25 files');
          return { message: 'Pushed 25 files', result: { files: 25 } };
        },
      });
      const { job_id } = await jobs.enqueue('t.steps', null, { target: 'peer-b' });
      const job = await settledJob(job_id);
      expect(job).toMatchObject({
        state: 'success',
        label: 'Push to peer-b',
        phase: 'Uploading',
        progress: { percent: 25, current: 25, total: 100, unit: 'files' },
        message: 'Pushed 25 files',
        result: { files: 25 },
        has_logs: true,
        error: null,
      });
      expect(job.started_at! >= job.created_at).toBe(true);
      expect(job.finished_at! >= job.started_at!).toBe(true);
      expect(await jobs.logs(job_id)).toEqual([{ seq: 1, ts: expect.any(String), level: 'info', message: 'uploaded 25 files' }]);
    });

    it('finishes warning when the handler warned', async () => {
      setup();
      jobs.define('t.warn', { run: (ctx) => ctx.warn('Peer is unsigned: awaiting approval') });
      const { job_id } = await jobs.enqueue('t.warn');
      expect(await settledJob(job_id)).toMatchObject({ state: 'warning', message: 'Peer is unsigned: awaiting approval', error: null });
    });

    it('finishes failed with the code and hint of a thrown error', async () => {
      setup();
      jobs.define('t.fail', {
        run: () => {
          throw new JobFailure('The peer refused the key.', { code: 'auth_rejected', hint: 'Rotate the key, then try again.' });
        },
      });
      jobs.define('t.crash', {
        run: () => {
          throw new Error('socket hang up');
        },
      });
      const failed = await settledJob((await jobs.enqueue('t.fail')).job_id);
      expect(failed).toMatchObject({
        state: 'failed',
        message: 'The peer refused the key.',
        error: { code: 'auth_rejected', message: 'The peer refused the key.', hint: 'Rotate the key, then try again.' },
      });
      const crashed = await settledJob((await jobs.enqueue('t.crash')).job_id);
      expect(crashed.error).toEqual({ code: 'failed', message: 'socket hang up', hint: null });
    });

    it('fails with code timeout when the handler runs too long, and aborts its signal', async () => {
      setup();
      let aborted = false;
      jobs.define('t.slow', {
        timeoutMs: 30,
        run: (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = true), resolve()))),
      });
      const job = await settledJob((await jobs.enqueue('t.slow')).job_id);
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe('timeout');
      expect(job.error?.hint).toBeTruthy();
      expect(aborted).toBe(true);
    });

    it('validates input with the schema and makes no job for invalid input', async () => {
      setup();
      jobs.define('t.input', { input: z.object({ peer: z.string(), full: z.boolean().default(false) }), run: (_ctx, input) => ({ message: `${input.peer} ${input.full}` }) });
      await expect(jobs.enqueue('t.input', { peer: 42 })).rejects.toMatchObject({ status: 400, code: 'invalid_input', message: expect.stringMatching(/^input\.peer: /) });
      expect((await jobs.list()).jobs).toHaveLength(0);
      const ok = await settledJob((await jobs.enqueue('t.input', { peer: 'a' })).job_id);
      expect(ok.message).toBe('a false');
    });

    it('rejects an unknown kind', async () => {
      setup();
      await expect(jobs.enqueue('nope')).rejects.toMatchObject({ status: 400, code: 'unknown_kind' });
    });
  });

  describe('concurrency', () => {
    it('keeps jobs beyond the limit queued and starts them in order', async () => {
      setup();
      const release = [gate(), gate(), gate()];
      const order: number[] = [];
      jobs.define('t.one', { concurrency: 1, input: z.object({ n: z.number() }), run: async (_ctx, { n }) => {
        order.push(n);
        await release[n]!.promise;
      } });
      const ids = [];
      for (const n of [0, 1, 2]) ids.push((await jobs.enqueue('t.one', { n })).job_id);
      await new Promise((r) => setTimeout(r, 20));
      expect(await Promise.all(ids.map(async (id) => (await jobs.get(id))!.state))).toEqual(['running', 'queued', 'queued']);
      release[0]!.open();
      await settledJob(ids[0]!);
      await new Promise((r) => setTimeout(r, 20));
      expect((await jobs.get(ids[1]!))!.state).toBe('running');
      expect((await jobs.get(ids[2]!))!.state).toBe('queued');
      release[1]!.open();
      release[2]!.open();
      await settledJob(ids[2]!);
      expect(order).toEqual([0, 1, 2]);
    });
  });

  describe('cancel', () => {
    it('cancels a queued job before it starts and a running one through its signal', async () => {
      setup();
      let sawAbort = false;
      jobs.define('t.block', { concurrency: 1, run: (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => ((sawAbort = true), resolve()))) });
      const running = await jobs.enqueue('t.block');
      const queued = await jobs.enqueue('t.block');
      await new Promise((r) => setTimeout(r, 20));
      expect((await jobs.cancel(queued.job_id, 'ada')).state).toBe('canceled');
      const canceled = await jobs.cancel(running.job_id, 'ada');
      expect(canceled).toMatchObject({ state: 'canceled', message: 'Canceled by ada.' });
      expect(sawAbort).toBe(true);
      expect((await jobs.get(queued.job_id))!.started_at).toBeNull();
      await expect(jobs.cancel(running.job_id)).rejects.toMatchObject({ status: 409 });
      await expect(jobs.cancel(crypto.randomUUID())).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('idempotency', () => {
    it('returns the first job for a repeated key in the same scope, even at the same moment', async () => {
      setup();
      let runs = 0;
      jobs.define('t.once', { run: () => void runs++ });
      const [a, b] = await Promise.all([
        jobs.enqueue('t.once', null, { idempotencyKey: 'k1', scope: 'ada' }),
        jobs.enqueue('t.once', null, { idempotencyKey: 'k1', scope: 'ada' }),
      ]);
      expect(b!.job_id).toBe(a!.job_id);
      await settledJob(a!.job_id);
      const again = await jobs.enqueue('t.once', null, { idempotencyKey: 'k1', scope: 'ada' });
      expect(again.job_id).toBe(a!.job_id);
      const otherCaller = await jobs.enqueue('t.once', null, { idempotencyKey: 'k1', scope: 'bob' });
      expect(otherCaller.job_id).not.toBe(a!.job_id);
      await settledJob(otherCaller.job_id);
      expect(runs).toBe(2);
    });
  });

  describe('audit', () => {
    it('writes one completion record per settled job and calls onSettled', async () => {
      setup();
      jobs.define('t.audit', { run: () => ({ message: 'done' }) });
      const { job_id } = await jobs.enqueue('t.audit', null, { target: 'p', actor: 'ada' });
      await settledJob(job_id);
      await new Promise((r) => setTimeout(r, 5));
      const records = logger.records.filter((r) => r.event === 'job.settled');
      expect(records).toEqual([
        expect.objectContaining({ job_id, kind: 't.audit', target: 'p', actor: 'ada', state: 'success', message: 'done', error_code: null, duration_ms: expect.any(Number) }),
      ]);
      expect(settled.map((s) => s.job_id)).toEqual([job_id]);
    });
  });

  describe('close', () => {
    it('waits for running handlers up to the bound', async () => {
      setup({ closeTimeoutMs: 2000 });
      const release = gate();
      let finished = false;
      jobs.define('t.wait', { run: async () => { await release.promise; finished = true; } });
      await jobs.enqueue('t.wait');
      await new Promise((r) => setTimeout(r, 10));
      const closing = jobs.close();
      setTimeout(() => release.open(), 20);
      await closing;
      expect(finished).toBe(true);
    });

    it('refuses new jobs once closing', async () => {
      setup();
      jobs.define('t.x', { run: () => undefined });
      await jobs.close();
      await expect(jobs.enqueue('t.x')).rejects.toMatchObject({ status: 503 });
    });
  });

  describe('configuration', () => {
    it('throws at construction without authorize, and for bad definitions', () => {
      expect(() => createJobStatus({} as never)).toThrow(/job-status: `authorize` is required/);
      setup({ store: memoryStore() });
      expect(() => jobs.define('bad name', { run: () => undefined })).toThrow(/job-status:/);
      jobs.define('ok', { run: () => undefined });
      expect(() => jobs.define('ok', { run: () => undefined })).toThrow(/already defined/);
      expect(() => jobs.define('c', { concurrency: 0, run: () => undefined })).toThrow(/concurrency/);
    });

    it.each([
      ['minPollIntervalS', { minPollIntervalS: -5 }, /^job-status: minPollIntervalS must be a positive number/],
      ['heartbeatMs', { heartbeatMs: Number.NaN }, /^job-status: heartbeatMs must be a positive number/],
      ['retentionMs', { retentionMs: '1h' }, /^job-status: retentionMs must be a positive number/],
      ['storeRetry.maxMs', { storeRetry: { maxMs: 0 } }, /^job-status: storeRetry.maxMs must be a positive number/],
      ['storeRetry', { storeRetry: 500 }, /^job-status: storeRetry must be an object/],
      ['limits.maxIds', { limits: { maxIds: 2.5 } }, /^job-status: limits.maxIds must be a whole number from 1/],
      ['limit name', { limits: { maxIDs: 5 } }, /^job-status: limits has no `maxIDs`/],
      ['limits', { limits: 5 }, /^job-status: limits must be an object/],
      ['canSee', { canSee: true }, /^job-status: canSee must be a function/],
      ['onSettled', { onSettled: 'log' }, /^job-status: onSettled must be a function/],
      ['trustedOrigins', { trustedOrigins: 'https://a.example' }, /^job-status: trustedOrigins must be a list of origins or a function/],
      ['store', { store: {} }, /^job-status: store must be a JobStore: it has no `open` method/],
      ['bus', { bus: { publish() {} } }, /^job-status: bus must be a JobBus: it has no `subscribe` method/],
      ['logger', { logger: console.log }, /^job-status: logger must have `info` and `error` methods/],
      ['telemetry', { telemetry: {} }, /^job-status: telemetry must be a JobStatusTelemetry: it has no `observe` method/],
      ['health', { health: 'yes' }, /^job-status: health must be true or false/],
      ['openapi', { openapi: 1 }, /^job-status: openapi must be true or false/],
      ['instanceId', { instanceId: '' }, /^job-status: instanceId must be text of 1 to 200 characters/],
    ])('throws a TypeError at construction for a bad %s', (_name, bad, message) => {
      const build = () => createJobStatus({ authorize: () => ({ id: 'a' }), ...(bad as object) });
      expect(build).toThrow(TypeError);
      expect(build).toThrow(message);
    });
  });
});
