import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { httpInstrumentationMiddleware } from '@hono/otel';
import { SpanKind } from '@opentelemetry/api';
import { Queue } from 'bullmq';
import { createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStatus } from '@job-status/hono';
import { bullmqSource } from '@job-status/hono/bullmq';
import type { BullmqSource } from '@job-status/hono/bullmq';
import { openTelemetry } from '@job-status/hono/opentelemetry';
import { inMemorySdk } from './fixtures/opentelemetry.js';
import { REDIS_URL, skipMessage, uniqueName } from './fixtures/services.js';
import { spawnFixture, stopAll } from './fixtures/processes.js';
import type { Child } from './fixtures/processes.js';
import { headerAuth, json, quietLogger } from './support.js';

const skip = skipMessage(['REDIS_URL']);
const QUEUE = uniqueName('js-test-traced');
const PREFIX = uniqueName('js-test-bull');

describe.skipIf(skip !== null)('telemetry of a job that runs on a BullMQ worker in another process', { timeout: 60_000 }, () => {
  const sdk = inMemorySdk();
  let jobs: JobStatus;
  let source: BullmqSource;
  let worker: Child;
  const app = new Hono();

  beforeAll(async () => {
    worker = spawnFixture('test/fixtures/traced-bullmq-worker.ts', { REDIS_URL, QUEUE, PREFIX });
    // The app hands its telemetry to the source too: the job's trace context goes out with the job.
    const telemetry = openTelemetry({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
    jobs = createJobStatus({ authorize: headerAuth, logger: quietLogger(), heartbeatMs: 60_000, closeTimeoutMs: 100, telemetry });
    source = bullmqSource({ queue: QUEUE, prefix: PREFIX, connection: REDIS_URL, kinds: { 'report.traced': {} }, logger: quietLogger(), telemetry });
    source.attach(jobs);
    app.use('*', httpInstrumentationMiddleware({ tracerProvider: sdk.tracerProvider }));
    app.route('/jobs', jobs.routes());
    await Promise.all([worker.waitFor(/^READY$/), source.ready]);
  }, 60_000);

  afterAll(async () => {
    try {
      await jobs?.close();
      await source?.close();
      await sdk.shutdown();
    } finally {
      await stopAll();
    }
    const url = new URL(REDIS_URL);
    const queue = new Queue(QUEUE, { connection: { host: url.hostname, port: Number(url.port || 6379) }, prefix: PREFIX });
    await queue.obliterate({ force: true });
    await queue.close();
  }, 30_000);

  it('makes the job span a child of the enqueuing request, and the worker span its child in the same trace', async () => {
    const response = await app.request('/jobs', json({ kind: 'report.traced', target: 'march' }));
    expect(response.status).toBe(202);
    const { job_id } = (await response.json()) as { job_id: string };
    await expect.poll(async () => (await jobs.get(job_id))?.state, { timeout: 20_000 }).toBe('success');
    const request = sdk.spans().find((s) => s.kind === SpanKind.SERVER)!;
    await expect.poll(() => sdk.spans().some((s) => s.attributes['job_status.job_id'] === job_id)).toBe(true);
    const jobSpan = sdk.spans().find((s) => s.attributes['job_status.job_id'] === job_id)!;
    expect(jobSpan.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(jobSpan.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(jobSpan.attributes).toMatchObject({ 'job_status.kind': 'report.traced', 'job_status.target': 'march', 'job_status.outcome': 'success' });
    // The worker's phases reach the app's span as events too.
    const phases = jobSpan.events.map((e) => e.attributes?.['job_status.phase'] ?? e.name);
    expect(phases[0]).toBe('job.started');
    expect(phases.indexOf('Collecting')).toBeGreaterThan(phases.indexOf('Waiting for a worker'));

    const [, printed] = await worker.waitFor(/^SPAN (.*)$/, 10_000);
    const remote = JSON.parse(printed!) as { traceId: string; parentSpanId: string; name: string; attributes: Record<string, unknown> };
    expect(remote.traceId).toBe(request.spanContext().traceId);
    expect(remote.parentSpanId).toBe(jobSpan.spanContext().spanId);
    expect(remote.name).toBe('job report.traced attempt');
    expect(remote.attributes).toMatchObject({ 'job_status.job_id': job_id, 'job_status.attempt': 1, 'job_status.outcome': 'success' });
  });
});
