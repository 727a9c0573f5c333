import type { JobProgress, LogLevel } from '@job-status/protocol';
import type { StoredJob } from '../stores/store.js';
import type { JobContext, ProgressUpdate } from './definition.js';

/** Where a context's calls go; the registry binds it to one live job. */
export interface ContextSink {
  update(patch: Partial<StoredJob>): void;
  log(level: LogLevel, message: string): void;
  warn(message: string): void;
  text(value: string): string;
}

/** Builds the context a handler receives. Bad arguments are dropped, never thrown. */
export function createContext(job: StoredJob, signal: AbortSignal, sink: ContextSink): JobContext {
  return {
    jobId: job.job_id,
    kind: job.kind,
    target: job.target,
    actor: job.actor,
    signal,
    phase: (text) => sink.update({ phase: text == null ? null : sink.text(String(text)) }),
    progress: (update) => {
      const progress = normalizeProgress(update);
      if (progress) sink.update({ progress });
    },
    log: (level, message) => sink.log(level, message),
    warn: (message) => {
      sink.warn(message);
      sink.log('warn', message);
    },
  };
}

const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** A progress report as the wire carries it; null when it says nothing usable. */
export function normalizeProgress(update: ProgressUpdate | null | undefined): JobProgress | null {
  if (!update || typeof update !== 'object') return null;
  const raw = update as { percent?: unknown; current?: unknown; total?: unknown; unit?: unknown };
  const current = finite(raw.current);
  const total = finite(raw.total);
  let percent = finite(raw.percent);
  if (percent === null && current !== null && total !== null && total > 0) percent = (current / total) * 100;
  if (percent !== null) percent = Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
  if (percent === null && current === null) return null;
  return {
    percent,
    current,
    total,
    unit: typeof raw.unit === 'string' && raw.unit ? raw.unit.slice(0, 40) : null,
  };
}
