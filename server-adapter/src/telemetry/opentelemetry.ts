import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, metrics, propagation, trace } from '@opentelemetry/api';
import type { Attributes, MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import type { JobSnapshot } from '@job-status/protocol';
import type { JobStatusTelemetry, TelemetrySources, WorkerJob } from './telemetry.js';

export interface OpenTelemetryOptions {
  /** Where the instruments come from. Default: the global one (`metrics.setGlobalMeterProvider`, what the Node SDK registers). */
  meterProvider?: MeterProvider;
  /** Where the spans go. Default: the global one. */
  tracerProvider?: TracerProvider;
}

const SCOPE = '@job-status/hono';
/** Refusals are counted by these statuses only: a 404 or 400 is the caller's mistake, not load or policy. */
const REFUSALS = new Set([401, 403, 413, 429, 503]);

/**
 * Reports what the job service does through the OpenTelemetry API: metrics (jobs enqueued
 * and settled, durations, queue depth, streams, events, refusals, store writes) and one
 * span per job, a child of the span that was active when it was enqueued (the request's,
 * with `@hono/otel` or the HTTP instrumentation), with phase changes as events and the
 * outcome and error code as attributes. A BullMQ worker made with the same option
 * continues the trace in its own process.
 *
 * Without an OpenTelemetry SDK registered, the API is a no-op and so is this. Register the
 * SDK before calling `openTelemetry()`: the instruments are made here, once.
 *
 * @example
 * import { openTelemetry } from '@job-status/hono/opentelemetry'
 * const jobs = createJobStatus({ store, authorize, telemetry: openTelemetry() })
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): JobStatusTelemetry {
  return new OpenTelemetryReporter(options);
}

class OpenTelemetryReporter implements JobStatusTelemetry {
  readonly #meterProvider: MeterProvider;
  readonly #tracer;
  readonly #enqueued;
  readonly #settled;
  readonly #duration;
  readonly #published;
  readonly #folded;
  readonly #cut;
  readonly #refused;
  readonly #storeDuration;
  readonly #storeErrors;
  /** The span of each job this process has not settled yet. */
  readonly #spans = new Map<string, Span>();

  constructor(options: OpenTelemetryOptions) {
    this.#meterProvider = options.meterProvider ?? metrics.getMeterProvider();
    const meter = this.#meterProvider.getMeter(SCOPE);
    this.#tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
    this.#enqueued = meter.createCounter('job_status.jobs.enqueued', { description: 'Jobs created, by kind.', unit: '{job}' });
    this.#settled = meter.createCounter('job_status.jobs.settled', { description: 'Jobs that reached a terminal state, by kind and state.', unit: '{job}' });
    this.#duration = meter.createHistogram('job_status.job.duration', {
      description: 'Time from a job\'s start to its terminal state, by kind and state.',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] },
    });
    this.#published = meter.createCounter('job_status.events.published', { description: 'Job changes published on the bus, by kind.', unit: '{event}' });
    this.#folded = meter.createCounter('job_status.events.folded', { description: 'Job changes folded into a save that was still waiting, by kind.', unit: '{event}' });
    this.#cut = meter.createCounter('job_status.streams.cut', { description: 'Streams closed because their reader fell too far behind.', unit: '{stream}' });
    this.#refused = meter.createCounter('job_status.requests.refused', { description: 'Requests answered 401, 403, 413, 429 or 503, by status.', unit: '{request}' });
    this.#storeDuration = meter.createHistogram('job_status.store.write.duration', {
      description: 'Time a store write took, by operation.',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
    });
    this.#storeErrors = meter.createCounter('job_status.store.write.errors', { description: 'Store writes that failed, by operation.', unit: '{error}' });
  }

  observe(sources: TelemetrySources) {
    const meter = this.#meterProvider.getMeter(SCOPE);
    const queued = meter.createObservableUpDownCounter('job_status.jobs.queued', { description: 'Jobs waiting for a slot of their kind in this process.', unit: '{job}' });
    const running = meter.createObservableUpDownCounter('job_status.jobs.running', { description: 'Jobs running (or followed) in this process.', unit: '{job}' });
    const streams = meter.createObservableUpDownCounter('job_status.streams.open', { description: 'Open event streams on this process.', unit: '{stream}' });
    meter.addBatchObservableCallback(
      (result) => {
        for (const [kind, load] of sources.load()) {
          result.observe(queued, load.queued, { 'job_status.kind': kind });
          result.observe(running, load.running, { 'job_status.kind': kind });
        }
        result.observe(streams, sources.streams());
      },
      [queued, running, streams],
    );
  }

  jobEnqueued(job: JobSnapshot) {
    this.#enqueued.add(1, { 'job_status.kind': job.kind });
    // The active context is the request's (or the code's) that enqueued the job.
    this.#spans.set(job.job_id, this.#startJobSpan(job, context.active(), Date.parse(job.created_at)));
  }

  jobStarted(job: JobSnapshot) {
    let span = this.#spans.get(job.job_id);
    // A job adopted after its follower stopped has no span here yet: it starts a trace.
    if (!span) this.#spans.set(job.job_id, (span = this.#startJobSpan(job, ROOT_CONTEXT, Date.now(), { 'job_status.adopted': true })));
    span.addEvent('job.started');
  }

  jobChanged(job: JobSnapshot, change: Partial<JobSnapshot>) {
    if (typeof change.phase === 'string') this.#spans.get(job.job_id)?.addEvent('job.phase', { 'job_status.phase': change.phase });
  }

  jobSettled(job: JobSnapshot) {
    const attributes = { 'job_status.kind': job.kind, 'job_status.state': job.state };
    this.#settled.add(1, attributes);
    const finished = job.finished_at ? Date.parse(job.finished_at) : Date.now();
    if (job.started_at) this.#duration.record(Math.max(0, finished - Date.parse(job.started_at)) / 1000, attributes);
    // A job recovered as interrupted was enqueued by a process that is gone: its span starts a trace here.
    const span = this.#spans.get(job.job_id) ?? this.#startJobSpan(job, ROOT_CONTEXT, Date.parse(job.started_at ?? job.created_at));
    this.#spans.delete(job.job_id);
    span.setAttribute('job_status.outcome', job.state);
    if (job.error) {
      span.setAttribute('job_status.error_code', job.error.code);
      span.setAttribute('error.type', job.error.code);
    }
    if (job.state === 'failed') {
      span.recordException({ name: job.error?.code ?? 'failed', message: job.error?.message ?? job.message ?? 'The job failed.' });
      span.setStatus({ code: SpanStatusCode.ERROR, message: job.error?.message ?? 'failed' });
    } else if (job.state === 'success') {
      span.setStatus({ code: SpanStatusCode.OK });
    }
    span.end(finished);
  }

  runJob<T>(jobId: string, run: () => T): T {
    const span = this.#spans.get(jobId);
    return span ? context.with(trace.setSpan(context.active(), span), run) : run();
  }

  eventPublished(job: JobSnapshot) {
    this.#published.add(1, { 'job_status.kind': job.kind });
  }

  eventFolded(job: JobSnapshot) {
    this.#folded.add(1, { 'job_status.kind': job.kind });
  }

  streamClosed(reason: string) {
    // Cuts carry a sentence for the log; every other reason is one word.
    if (reason.startsWith('job-status: ')) this.#cut.add(1);
  }

  requestRefused(status: number) {
    if (REFUSALS.has(status)) this.#refused.add(1, { 'http.response.status_code': status });
  }

  storeWrite(operation: string, seconds: number, error: unknown) {
    const attributes = { 'job_status.operation': operation };
    this.#storeDuration.record(seconds, attributes);
    if (error !== null && error !== undefined) this.#storeErrors.add(1, attributes);
  }

  carrier(jobId: string): Record<string, string> {
    const span = this.#spans.get(jobId);
    const carrier: Record<string, string> = {};
    if (span) propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
    return carrier;
  }

  async workerRun<T>(carrier: Record<string, string> | undefined, job: WorkerJob, run: () => Promise<T>): Promise<T> {
    const parent = carrier && typeof carrier === 'object' ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
    const span = this.#tracer.startSpan(
      `job ${job.kind} attempt`,
      { kind: SpanKind.CONSUMER, attributes: { ...jobAttributes(job), 'job_status.attempt': job.attempt } },
      parent,
    );
    try {
      const result = await context.with(trace.setSpan(parent, span), run);
      span.setAttribute('job_status.outcome', 'success');
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'failed';
      span.setAttribute('job_status.outcome', 'failed');
      span.setAttribute('job_status.error_code', code);
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  close() {
    for (const span of this.#spans.values()) {
      span.setAttribute('job_status.outcome', 'unsettled');
      span.end();
    }
    this.#spans.clear();
  }

  #startJobSpan(job: JobSnapshot, parent: ReturnType<typeof context.active>, startTime: number, extra: Attributes = {}) {
    return this.#tracer.startSpan(`job ${job.kind}`, { kind: SpanKind.INTERNAL, startTime, attributes: { ...jobAttributes(job), ...extra } }, parent);
  }
}

function jobAttributes(job: { job_id: string; kind: string; target: string | null }): Attributes {
  return { 'job_status.job_id': job.job_id, 'job_status.kind': job.kind, ...(job.target === null ? {} : { 'job_status.target': job.target }) };
}
