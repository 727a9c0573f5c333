import type { JobStatusError } from '../../client/job-status-error.js';
import { jobStatusStrings } from '../../internal/strings.js';
import type { JobStatusStrings } from '../../internal/strings.js';

/** The texts of `<job-trigger>`: those of its tile, plus what a refused enqueue says. */
export interface JobTriggerStrings extends JobStatusStrings {
  /** The error code of a refused enqueue when the server sent none. */
  enqueueFailed: string;
  /** What to do after the server (or the network) refused to start a job. */
  enqueueHint: (error: JobStatusError) => string;
}

/** The defaults of `<job-trigger>`. */
export const jobTriggerStrings: Readonly<JobTriggerStrings> = Object.freeze({
  ...jobStatusStrings,
  enqueueFailed: 'enqueue_failed',
  enqueueHint: (error: JobStatusError) => {
    if (error.type === 'network') return 'Check your network connection, then try again.';
    switch (error.status) {
      case 400:
      case 422:
        return 'Correct the input, then try again.';
      case 401:
        return 'Your session has ended. Sign in again, then try again.';
      case 403:
        return 'You may not start this action. Ask an administrator for access.';
      case 404:
        return 'The server does not offer this action. Check the kind and the base-url.';
      case 413:
        return 'The input is too large. Send less, then try again.';
      case 429:
        return 'Too many requests. Wait a minute, then try again.';
      default:
        return 'Try again in a minute. If it keeps failing, check the server logs.';
    }
  },
});
