/**
 * Part 7, telemetry: what instrumentation costs. The same work (jobs enqueued through the
 * routes, each with three phases and progress, in the memory store) runs without a
 * telemetry, with `openTelemetry()` and no SDK (the API's no-ops), and with the metrics
 * and tracing SDKs registered (spans batched to an exporter that drops them, metrics kept
 * for a reader). Variants take turns, round after round, so drift hits them all alike.
 */
import { Hono } from 'hono';
import type { ExportResult } from '@opentelemetry/core';
import { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createJobStatus } from '@job-status/hono';
import type { JobStatusTelemetry } from '@job-status/hono';
import { openTelemetry } from '@job-status/hono/opentelemetry';
import { serveCommands } from '../lib/workers.mjs';

export type Variant = 'none' | 'api' | 'sdk';

const dropSpans: SpanExporter = {
  export: (_spans: ReadableSpan[], done: (result: ExportResult) => void) => done({ code: 0 }),
  shutdown: async () => undefined,
};

function telemetryFor(variant: Variant): { telemetry: JobStatusTelemetry | undefined; shutdown: () => Promise<void> } {
  if (variant === 'none') return { telemetry: undefined, shutdown: async () => undefined };
  // No SDK registered in this process: the global providers are the API's no-ops.
  if (variant === 'api') return { telemetry: openTelemetry(), shutdown: async () => undefined };
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] });
  return {
    telemetry: openTelemetry({ meterProvider, tracerProvider }),
    shutdown: async () => {
      await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
    },
  };
}

/**
 * Enqueues `jobs` jobs through `POST /`, at most `parallel` busy at once. Returns the CPU
 * time this process spent per job (what instrumentation adds to; other processes on a
 * busy machine barely move it) and jobs per second (which they do).
 */
async function round(variant: Variant, jobs: number, parallel: number) {
  const { telemetry, shutdown } = telemetryFor(variant);
  let settled = 0;
  let wake: (() => void) | null = null;
  const service = createJobStatus({
    authorize: () => ({ id: 'bench' }),
    logger: { info: () => undefined, error: (record) => console.error('job-status:', JSON.stringify(record)) },
    retentionMs: 60 * 60_000,
    // One caller starts every job here: the per-caller enqueue rate is not what is measured.
    limits: { enqueueBurst: jobs, enqueuesPerMinute: 1_000_000 },
    ...(telemetry ? { telemetry } : {}),
    onSettled: () => {
      settled++;
      wake?.();
    },
  });
  service.define('bench.steps', {
    run: async (ctx) => {
      for (let step = 1; step <= 3; step++) {
        ctx.phase(`Step ${step} of 3`);
        ctx.progress({ current: step, total: 3, unit: 'steps' });
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { message: 'Done.' };
    },
  });
  await service.ready;
  const app = new Hono();
  app.route('/jobs', service.routes());
  const post = () => app.request('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"bench.steps","target":"peer"}' });
  const start = performance.now();
  const cpu = process.cpuUsage();
  let sent = 0;
  while (settled < jobs) {
    while (sent < jobs && sent - settled < parallel) {
      sent++;
      const response = await post();
      if (response.status !== 202) throw new Error(`POST / answered ${response.status}: ${await response.text()}`);
    }
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await service.close();
  await shutdown();
  return { cpuUsPerJob: (used.user + used.system) / jobs, perSecond: jobs / seconds };
}

serveCommands({
  async run({ jobs, rounds, parallel }: { jobs: number; rounds: number; parallel: number }) {
    const variants: Variant[] = ['none', 'api', 'sdk'];
    const results: Record<Variant, Array<{ cpuUsPerJob: number; perSecond: number }>> = { none: [], api: [], sdk: [] };
    // A warm-up round of each, not counted: the JIT and the module caches settle first.
    for (const variant of variants) await round(variant, Math.min(jobs, 200), parallel);
    for (let r = 0; r < rounds; r++) {
      for (const variant of r % 2 ? [...variants].reverse() : variants) results[variant].push(await round(variant, jobs, parallel));
    }
    return results;
  },
});
