import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { httpInstrumentationMiddleware } from '@hono/otel';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { JobSnapshot } from '@job-status/protocol';
import { JobFailure, createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStatus, JobStatusOptions } from '@job-status/hono';
import { openTelemetry } from '@job-status/hono/opentelemetry';
import { inMemorySdk, valueOf } from './fixtures/opentelemetry.js';
import { asAdmin, gate, headerAuth, json, quietLogger } from './support.js';

let sdk: ReturnType<typeof inMemorySdk>;
let jobs: JobStatus;
let app: Hono;

/** A job service reporting to the in-memory SDK, behind @hono/otel's request spans, as an app wires it. */
function start(options: Partial<JobStatusOptions> = {}) {
  jobs = createJobStatus({
    authorize: headerAuth,
    logger: quietLogger(),
    heartbeatMs: 60_000,
    telemetry: openTelemetry({ meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider }),
    ...options,
  });
  app = new Hono();
  app.use('*', httpInstrumentationMiddleware({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider }));
  app.route('/jobs', jobs.routes());
  return jobs;
}

/** Enqueues through the route, as a browser does, and waits for the job to settle. */
async function runThroughRoute(kind: string, target: string | null = null): Promise<{ job: JobSnapshot; request: ReadableSpan; span: ReadableSpan }> {
  const response = await app.request('/jobs', json({ kind, target }));
  expect(response.status).toBe(202);
  const { job_id } = (await response.json()) as { job_id: string };
  const span = await settledSpan(job_id);
  const request = sdk.spans().find((s) => s.kind === SpanKind.SERVER && s.attributes['http.request.method'] === 'POST')!;
  return { job: (await jobs.get(job_id))!, request, span };
}

async function settledSpan(jobId: string) {
  await expect.poll(() => sdk.spans().some((s) => s.attributes['job_status.job_id'] === jobId), { timeout: 5000 }).toBe(true);
  return sdk.spans().find((s) => s.attributes['job_status.job_id'] === jobId)!;
}

const eventNames = (span: ReadableSpan) => span.events.map((e) => (e.attributes?.['job_status.phase'] ? `${e.name}: ${e.attributes['job_status.phase']}` : e.name));

beforeEach(() => {
  sdk = inMemorySdk();
});
afterEach(async () => {
  await jobs?.close();
  await sdk.shutdown();
});

describe('telemetry with the OpenTelemetry SDK', () => {
  describe('when a job succeeds', () => {
    it('traces it as a child of the request that enqueued it, with its phases as events', async () => {
      start().define('sync.push', {
        run: async (ctx) => {
          ctx.phase('Connecting');
          await new Promise((resolve) => setTimeout(resolve, 5));
          ctx.phase('Uploading records');
          return { message: 'Pushed.' };
        },
      });
      const { job, request, span } = await runThroughRoute('sync.push', 'peer-a');
      expect(job.state).toBe('success');
      expect(span.name).toBe('job sync.push');
      expect(span.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(span.attributes).toMatchObject({
        'job_status.job_id': job.job_id,
        'job_status.kind': 'sync.push',
        'job_status.target': 'peer-a',
        'job_status.outcome': 'success',
      });
      expect(span.status.code).toBe(SpanStatusCode.OK);
      expect(eventNames(span)).toEqual(['job.started', 'job.phase: Connecting', 'job.phase: Uploading records']);
    });

    it('counts it enqueued and settled, times it, and times the store writes', async () => {
      start().define('sync.push', { run: () => ({ message: 'done' }) });
      await runThroughRoute('sync.push');
      const points = await sdk.points();
      expect(valueOf(points, 'job_status.jobs.enqueued', { 'job_status.kind': 'sync.push' })).toBe(1);
      expect(valueOf(points, 'job_status.jobs.settled', { 'job_status.kind': 'sync.push', 'job_status.state': 'success' })).toBe(1);
      expect(valueOf(points, 'job_status.job.duration', { 'job_status.kind': 'sync.push', 'job_status.state': 'success' })).toMatchObject({ count: 1 });
      // Created, running, success: three changes on the bus.
      expect(valueOf(points, 'job_status.events.published', { 'job_status.kind': 'sync.push' })).toBe(3);
      expect(valueOf(points, 'job_status.store.write.duration', { 'job_status.operation': 'save' })).toMatchObject({ count: 3 });
      expect(valueOf(points, 'job_status.store.write.errors', { 'job_status.operation': 'save' })).toBeUndefined();
    });

    it('counts changes folded into one save', async () => {
      start().define('busy', {
        run: (ctx) => {
          // One burst: the progress and the log line wait for the phase's save and go out with it.
          ctx.phase('Working');
          ctx.progress({ current: 1, total: 2 });
          ctx.log('info', 'half way');
        },
      });
      await runThroughRoute('busy');
      expect(valueOf(await sdk.points(), 'job_status.events.folded', { 'job_status.kind': 'busy' })).toBeGreaterThanOrEqual(2);
    });
  });

  describe('when a job fails', () => {
    it('records the failure on the span with its code, and counts it failed', async () => {
      start().define('sync.push', {
        run: () => {
          throw new JobFailure('The peer refused the key.', { code: 'auth_rejected', hint: 'Rotate the key.' });
        },
      });
      const { span } = await runThroughRoute('sync.push');
      expect(span.attributes).toMatchObject({ 'job_status.outcome': 'failed', 'job_status.error_code': 'auth_rejected', 'error.type': 'auth_rejected' });
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'The peer refused the key.' });
      expect(span.events.find((e) => e.name === 'exception')?.attributes).toMatchObject({ 'exception.type': 'auth_rejected', 'exception.message': 'The peer refused the key.' });
      expect(valueOf(await sdk.points(), 'job_status.jobs.settled', { 'job_status.state': 'failed' })).toBe(1);
    });
  });

  describe('when a job is canceled', () => {
    it('ends its span with the outcome canceled and no error', async () => {
      const started = gate();
      start().define('slow', {
        run: (ctx) =>
          new Promise((_, reject) => {
            started.open();
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      });
      const response = await app.request('/jobs', json({ kind: 'slow' }));
      const { job_id } = (await response.json()) as { job_id: string };
      await started.promise;
      expect((await app.request(`/jobs/${job_id}/cancel`, { method: 'POST', headers: asAdmin })).status).toBe(202);
      const span = await settledSpan(job_id);
      expect(span.attributes['job_status.outcome']).toBe('canceled');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(valueOf(await sdk.points(), 'job_status.jobs.settled', { 'job_status.kind': 'slow', 'job_status.state': 'canceled' })).toBe(1);
    });
  });

  describe('when a job times out', () => {
    it('fails its span with the code timeout', async () => {
      start().define('stuck', { timeoutMs: 20, run: () => new Promise(() => undefined) });
      const { span } = await runThroughRoute('stuck');
      expect(span.attributes).toMatchObject({ 'job_status.outcome': 'failed', 'job_status.error_code': 'timeout' });
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    });
  });

  describe('when a job was interrupted by a restart', () => {
    it('gives the recovered job a span of its own, failed with the code interrupted', async () => {
      const store = memoryStore();
      await store.open();
      const left = await store.save(
        {
          job_id: crypto.randomUUID(), kind: 'sync.push', target: 'peer-b', label: 'Push', state: 'running', phase: 'Uploading', progress: null,
          message: null, error: null, created_at: new Date(Date.now() - 2000).toISOString(), started_at: new Date(Date.now() - 1000).toISOString(),
          finished_at: null, updated_at: new Date().toISOString(), has_logs: false, actor: 'admin', input: null, idempotency_key: null, owner: 'gone',
        },
        { durable: true },
      );
      await start({ store }).ready;
      const span = await settledSpan(left.job_id);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes).toMatchObject({ 'job_status.kind': 'sync.push', 'job_status.target': 'peer-b', 'job_status.outcome': 'failed', 'job_status.error_code': 'interrupted' });
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(valueOf(await sdk.points(), 'job_status.jobs.settled', { 'job_status.state': 'failed' })).toBe(1);
    });
  });

  describe('the gauges and refusals', () => {
    it('reads queued, running and open streams when collected, and counts refused requests by status', async () => {
      const release = gate();
      start().define('slow', { concurrency: 1, run: () => release.promise });
      await jobs.enqueue('slow');
      await jobs.enqueue('slow');
      const stream = await app.request('/jobs/events', { headers: asAdmin });
      expect(stream.status).toBe(200);
      expect((await app.request('/jobs')).status).toBe(401);
      expect((await app.request('/jobs', { headers: { 'x-user': 'viewer' } })).status).toBe(403);
      expect((await app.request('/jobs/nope', { headers: asAdmin })).status).toBe(400);
      await expect.poll(async () => valueOf(await sdk.points(), 'job_status.jobs.running', { 'job_status.kind': 'slow' })).toBe(1);
      const points = await sdk.points();
      expect(valueOf(points, 'job_status.jobs.queued', { 'job_status.kind': 'slow' })).toBe(1);
      expect(valueOf(points, 'job_status.streams.open')).toBe(1);
      expect(valueOf(points, 'job_status.requests.refused', { 'http.response.status_code': 401 })).toBe(1);
      expect(valueOf(points, 'job_status.requests.refused', { 'http.response.status_code': 403 })).toBe(1);
      // A bad request is the caller's mistake, not a refusal.
      expect(points.filter((p) => p.name === 'job_status.requests.refused')).toHaveLength(2);
      await stream.body?.cancel();
      release.open();
    });
  });

  describe('when a reader falls behind', () => {
    it('counts the stream it cuts off', async () => {
      const release = gate();
      start({ limits: { maxBufferedBytes: 4096, maxTextLength: 4096 } }).define('chatty', {
        run: async (ctx) => {
          await release.promise;
          for (let i = 0; i < 10; i++) {
            ctx.phase(`${i} ${'x'.repeat(2000)}`);
            await new Promise((resolve) => setImmediate(resolve));
          }
        },
      });
      const job = await jobs.enqueue('chatty');
      // A reader that takes nothing of its stream.
      const stalled = await app.request(`/jobs/events?job=${job.job_id}`, { headers: asAdmin });
      expect(jobs.streams).toBe(1);
      release.open();
      await expect.poll(() => jobs.streams).toBe(0);
      expect(valueOf(await sdk.points(), 'job_status.streams.cut')).toBe(1);
      await stalled.body?.cancel().catch(() => undefined);
    });
  });

  describe('without a telemetry', () => {
    it('reports nothing to the SDK', async () => {
      jobs = createJobStatus({ authorize: headerAuth, logger: quietLogger() });
      jobs.define('sync.push', { run: () => undefined });
      const job = await jobs.enqueue('sync.push');
      await expect.poll(async () => (await jobs.get(job.job_id))?.state).toBe('success');
      expect(sdk.spans()).toEqual([]);
      expect(await sdk.points()).toEqual([]);
    });
  });
});
