import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobSnapshot } from '@job-status/protocol';
import { JobAbortedError, JobFailure, createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStatus } from '@job-status/hono';
import { ManualClock, gate, quietLogger, until } from './support.js';

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
      const clock = new ManualClock();
      setup({ clock });
      let aborted = false;
      jobs.define('t.slow', {
        timeoutMs: 30_000,
        run: (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = true), resolve()))),
      });
      const { job_id } = await jobs.enqueue('t.slow');
      await until(async () => (await jobs.get(job_id))?.state === 'running');
      await clock.advance(29_999);
      expect((await jobs.get(job_id))?.state).toBe('running');
      await clock.advance(1);
      const job = await settledJob(job_id);
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
      const ids: string[] = [];
      for (const n of [0, 1, 2]) ids.push((await jobs.enqueue('t.one', { n })).job_id);
      // The queue is pumped in one go: once the first job runs, the others were left waiting.
      await until(async () => (await jobs.get(ids[0]!))!.state === 'running');
      expect(await Promise.all(ids.map(async (id) => (await jobs.get(id))!.state))).toEqual(['running', 'queued', 'queued']);
      release[0]!.open();
      await settledJob(ids[0]!);
      await until(async () => (await jobs.get(ids[1]!))!.state === 'running');
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
      await until(async () => (await jobs.get(running.job_id))!.state === 'running');
      expect((await jobs.cancel(queued.job_id, 'ada')).state).toBe('canceled');
      const canceled = await jobs.cancel(running.job_id, 'ada');
      expect(canceled).toMatchObject({ state: 'canceled', message: 'Canceled by ada.' });
      expect(sawAbort).toBe(true);
      expect((await jobs.get(queued.job_id))!.started_at).toBeNull();
      await expect(jobs.cancel(running.job_id)).rejects.toMatchObject({ status: 409 });
      await expect(jobs.cancel(crypto.randomUUID())).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('when the registry aborts a handler', () => {
    /** Defines a kind whose handler waits for its signal and keeps the reason it saw. */
    function waitingKind(kind: string, options: { timeoutMs?: number } = {}) {
      const seen = gate();
      let reason: unknown;
      jobs.define(kind, {
        ...options,
        run: (ctx) =>
          new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              seen.open();
              resolve();
            }),
          ),
      });
      return { seen: seen.promise, reason: () => reason };
    }

    it('gives ctx.signal a JobAbortedError whose reason is canceled on a cancel', async () => {
      setup();
      const handler = waitingKind('t.cancel');
      const { job_id } = await jobs.enqueue('t.cancel');
      await until(async () => (await jobs.get(job_id))?.state === 'running');
      await jobs.cancel(job_id);
      await handler.seen;
      expect(handler.reason()).toBeInstanceOf(JobAbortedError);
      expect(handler.reason()).toMatchObject({ name: 'AbortError', reason: 'canceled' });
    });

    it('gives ctx.signal a JobAbortedError whose reason is timeout when the job runs too long', async () => {
      const clock = new ManualClock();
      setup({ clock });
      const handler = waitingKind('t.timeout', { timeoutMs: 20_000 });
      await jobs.enqueue('t.timeout');
      await until(() => clock.delays.includes(20_000));
      await clock.advance(20_000);
      await handler.seen;
      expect(handler.reason()).toBeInstanceOf(JobAbortedError);
      expect(handler.reason()).toMatchObject({ name: 'AbortError', reason: 'timeout' });
    });

    it('gives ctx.signal a JobAbortedError whose reason is closing when close stops waiting for it', async () => {
      const clock = new ManualClock();
      setup({ closeTimeoutMs: 10_000, clock });
      const handler = waitingKind('t.close');
      const { job_id } = await jobs.enqueue('t.close');
      await until(async () => (await jobs.get(job_id))?.state === 'running');
      const closing = jobs.close();
      await until(() => clock.delays.includes(10_000));
      await clock.advance(10_000);
      await closing;
      await handler.seen;
      expect(handler.reason()).toMatchObject({ name: 'AbortError', reason: 'closing' });
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
      await until(() => settled.length > 0);
      const records = logger.records.filter((r) => r.event === 'job.settled');
      expect(records).toEqual([
        expect.objectContaining({ job_id, kind: 't.audit', target: 'p', actor: 'ada', state: 'success', message: 'done', error_code: null, duration_ms: expect.any(Number) }),
      ]);
      expect(settled.map((s) => s.job_id)).toEqual([job_id]);
    });
  });

  describe('close', () => {
    it('waits for running handlers up to the bound', async () => {
      const clock = new ManualClock();
      setup({ closeTimeoutMs: 2000, clock });
      const release = gate();
      let finished = false;
      let closed = false;
      jobs.define('t.wait', { run: async () => { await release.promise; finished = true; } });
      const { job_id } = await jobs.enqueue('t.wait');
      await until(async () => (await jobs.get(job_id))?.state === 'running');
      const closing = jobs.close().then(() => (closed = true));
      // Close is waiting on its bound (or, wrongly, is already done).
      await until(() => closed || clock.delays.includes(2000));
      expect(closed).toBe(false);
      await clock.advance(1999);
      expect(closed).toBe(false);
      release.open();
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
      ['clock', { clock: { now: () => 0 } }, /^job-status: clock must be a JobStatusClock .*: it has no `setTimeout` method/],
    ])('throws a TypeError at construction for a bad %s', (_name, bad, message) => {
      const build = () => createJobStatus({ authorize: () => ({ id: 'a' }), ...(bad as object) });
      expect(build).toThrow(TypeError);
      expect(build).toThrow(message);
    });
  });
});
