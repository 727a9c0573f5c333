import type { JobSnapshot } from '@job-status/protocol';

/** What the gauges of a telemetry read when a metrics reader collects. */
export interface TelemetrySources {
  /** Jobs waiting and running in this process, by kind. */
  load(): Map<string, { queued: number; running: number }>;
  /** Open event streams on this process. */
  streams(): number;
}

/** A job as a worker in another process knows it (BullMQ). */
export interface WorkerJob {
  job_id: string;
  kind: string;
  target: string | null;
  /** Which attempt this is, from 1. */
  attempt: number;
}

/**
 * The points where job-status reports what it does: jobs enqueued, started, changed and
 * settled, events published and folded, streams closed, requests refused, store writes.
 * `openTelemetry()` (from `@job-status/hono/opentelemetry`) turns them into OpenTelemetry
 * metrics and spans; without a telemetry, nothing is reported and nothing is paid.
 *
 * Every call must return at once and never throw: it runs on the job's own path.
 */
export interface JobStatusTelemetry {
  /** Called once by the job service with what its gauges read. */
  observe(sources: TelemetrySources): void;
  /** A job was created (inside the request, or the code, that enqueued it). */
  jobEnqueued(job: JobSnapshot): void;
  /** A job's handler starts (or an adopted job is followed again). */
  jobStarted(job: JobSnapshot): void;
  /** A running job's handler changed it (phase, progress, logs). */
  jobChanged(job: JobSnapshot, change: Partial<JobSnapshot>): void;
  /** A job reached its terminal state and it is stored. */
  jobSettled(job: JobSnapshot): void;
  /** Runs a job's handler with the job's trace context as the active one. */
  runJob<T>(jobId: string, run: () => T): T;
  /** A change went out on the bus. */
  eventPublished(job: JobSnapshot): void;
  /** A change was folded into a save that was still waiting (see docs/server.md). */
  eventFolded(job: JobSnapshot): void;
  /** A stream ended; `reason` is `disconnected`, `resync`, `server-closing`, or the text of a cut. */
  streamClosed(reason: string): void;
  /** A request was answered with 401, 403, 413, 429 or 503. */
  requestRefused(status: number): void;
  /** A store write finished: `seconds` it took, and the error when it failed. */
  storeWrite(operation: string, seconds: number, error: unknown): void;
  /** The trace context of a job, as text headers, for a worker in another process. */
  carrier(jobId: string): Record<string, string>;
  /** Runs one attempt of a job on a worker, as a continuation of the trace context in `carrier`. */
  workerRun<T>(carrier: Record<string, string> | undefined, job: WorkerJob, run: () => Promise<T>): Promise<T>;
  /** Ends what is still open (jobs this process will not settle). */
  close(): void;
}

const nothing = () => undefined;

/** The telemetry of a job service that has none: every report is dropped. */
export const silentTelemetry: JobStatusTelemetry = Object.freeze({
  observe: nothing,
  jobEnqueued: nothing,
  jobStarted: nothing,
  jobChanged: nothing,
  jobSettled: nothing,
  runJob: <T>(_jobId: string, run: () => T) => run(),
  eventPublished: nothing,
  eventFolded: nothing,
  streamClosed: nothing,
  requestRefused: nothing,
  storeWrite: nothing,
  carrier: () => ({}),
  workerRun: <T>(_carrier: Record<string, string> | undefined, _job: WorkerJob, run: () => Promise<T>) => run(),
  close: nothing,
});
