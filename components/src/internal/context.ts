import { createContext } from '@lit/context';
import type { JobStatusClient } from '../client/types.js';

/**
 * The context through which `<job-status-provider>` hands its client to every element
 * inside it. The key is a registered symbol, so two copies of this package on one page
 * still find each other's provider.
 */
export const jobStatusClientContext = createContext<JobStatusClient | undefined>(
  Symbol.for('job-status/client'),
);
