import type { JobStatusError } from '../../client/job-status-error.js';
import { jobStatusStrings } from '../../internal/strings.js';
import type { JobStatusStrings } from '../../internal/strings.js';

/** The texts of `<job-detail>`: those of the tile, plus the detail view's own. */
export interface JobDetailStrings extends JobStatusStrings {
  kind: string;
  target: string;
  actor: string;
  jobId: string;
  errorCode: string;
  result: string;
  /** Heading and accessible name of the log. */
  log: string;
  noLogs: string;
  /** The log could not be read; it retries by itself. */
  logFailed: string;
  cancel: string;
  /** Asked after "Cancel job" is pressed, before anything is canceled. */
  confirmCancel: string;
  confirmCancelYes: string;
  confirmCancelNo: string;
  canceling: string;
  /** Why a cancel did not happen; 409 means the job had already finished. */
  cancelFailed: (error: JobStatusError) => string;
  /** Shown instead of an empty field. */
  none: string;
}

/** The defaults of `<job-detail>`. */
export const jobDetailStrings: Readonly<JobDetailStrings> = Object.freeze({
  ...jobStatusStrings,
  kind: 'Kind',
  target: 'Target',
  actor: 'Started by',
  jobId: 'Job ID',
  errorCode: 'Error code',
  result: 'Result',
  log: 'Log',
  noLogs: 'No log lines yet.',
  logFailed: 'Could not load the log. Retrying…',
  cancel: 'Cancel job',
  confirmCancel: 'Stop this job now? It does not finish its work.',
  confirmCancelYes: 'Yes, cancel it',
  confirmCancelNo: 'Keep running',
  canceling: 'Canceling…',
  cancelFailed: (error: JobStatusError) =>
    error.status === 409
      ? 'The job had already finished; nothing was canceled.'
      : `Could not cancel: ${error.message}. Try again.`,
  none: '—',
});
