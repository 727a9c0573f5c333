import type { JobError, JobProgress, LogLevel } from '@job-status/protocol';

/**
 * How a job travels through BullMQ, in BullMQ's own terms: nothing here is a protocol of
 * its own, only the shape of three values BullMQ already carries.
 *
 * - The job's **data** ({@link JobData}) is what the worker needs to run it.
 * - The job's **progress** (`job.updateProgress`, seen as a `progress` event by
 *   `QueueEvents`) is a {@link WorkerReport}: the attempt's phase, progress, log count and,
 *   after a failed attempt, the error with its code and hint.
 * - The job's **logs** (`job.log`) are its log lines as text, `"<level>: <message>"`, so
 *   BullMQ's dashboards show them as they are; a warning (`ctx.warn`) is `"warning: …"`.
 * - The job's **return value** is a {@link WorkerResult}.
 * - A cancel is a custom `QueueEvents` event, {@link CANCEL_EVENT}, that the worker
 *   holding the job answers by aborting the handler's signal.
 */
/** The custom `QueueEvents` event (BullMQ's `QueueEventsProducer`) that asks the workers to abort a job. */
export const CANCEL_EVENT = 'job-status:cancel';

export interface JobData {
  job_id: string;
  kind: string;
  target: string | null;
  actor: string | null;
  input: unknown;
  /** The trace context of the job's span (W3C `traceparent`), when the app reports telemetry. */
  trace?: Record<string, string>;
}

export interface WorkerReport {
  /** Marks the progress value as ours, among whatever else a queue carries. */
  job_status: 1;
  /** Which attempt this is, from 1. */
  attempt: number;
  phase: string | null;
  progress: JobProgress | null;
  /** Log lines the job has in BullMQ, all attempts together. */
  logs: number;
  /** Why this attempt failed; BullMQ's `failedReason` keeps only the message. */
  error: JobError | null;
}

export interface WorkerResult {
  message: string | null;
  result?: unknown;
  /** Warnings of the successful attempt: the job finishes as `warning`. */
  warnings: string[];
}

export function isWorkerReport(value: unknown): value is WorkerReport {
  const report = value as Partial<WorkerReport> | null;
  return typeof report === 'object' && report !== null && report.job_status === 1 && Number.isInteger(report.attempt) && Number.isInteger(report.logs);
}

const LINE = /^(debug|info|warn|error|warning): ([\s\S]*)$/;

export function formatLogLine(level: LogLevel | 'warning', message: string): string {
  return `${level}: ${message}`;
}

/** A BullMQ log line as a job-status one; a line some other code wrote is kept as `info`. */
export function parseLogLine(line: string): { level: LogLevel; message: string; warning: boolean } {
  const match = LINE.exec(line);
  if (!match) return { level: 'info', message: line, warning: false };
  const level = match[1] as LogLevel | 'warning';
  return level === 'warning' ? { level: 'warn', message: match[2]!, warning: true } : { level, message: match[2]!, warning: false };
}
