import type { JobSnapshot } from '@job-status/protocol';
import type { JobStatusLogger } from '../options.js';
import { publicSnapshot } from '../stores/store.js';
import type { StoredJob } from '../stores/store.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';

export interface SettledAuditOptions {
  logger: JobStatusLogger;
  telemetry: JobStatusTelemetry;
  onSettled?: ((snapshot: JobSnapshot) => void | Promise<void>) | undefined;
  /** A job of this kind and target succeeded: its typical duration may have changed. */
  succeeded(kind: string, target: string | null): void;
  internal(error: unknown): void;
}

/**
 * What happens once per job when it reaches its terminal state: one `job.settled` record
 * in the log (the audit trail), telemetry, and the app's `onSettled`, whose failure is
 * logged and never reaches the job.
 */
export class SettledAudit {
  readonly #options: SettledAuditOptions;

  constructor(options: SettledAuditOptions) {
    this.#options = options;
  }

  record(job: StoredJob) {
    const { logger, onSettled, telemetry } = this.#options;
    if (job.state === 'success') this.#options.succeeded(job.kind, job.target);
    telemetry.jobSettled(job);
    const started = job.started_at ? Date.parse(job.started_at) : null;
    logger.info(
      {
        event: 'job.settled',
        job_id: job.job_id,
        kind: job.kind,
        target: job.target,
        actor: job.actor,
        state: job.state,
        queued_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        duration_ms: started !== null && job.finished_at ? Date.parse(job.finished_at) - started : null,
        message: job.message,
        error_code: job.error?.code ?? null,
      },
      'job settled',
    );
    if (onSettled) {
      Promise.resolve()
        .then(() => onSettled(publicSnapshot(job)))
        .catch((error) => this.#options.internal(error));
    }
  }
}
