export { createJobStatusClient } from './create-client.js';
export { JobStatusError } from './job-status-error.js';
export type { JobStatusErrorType } from './job-status-error.js';
export type {
  ConnectionState,
  CreateJobStatusClient,
  EnqueueOptions,
  JobFilter,
  JobListener,
  JobListQuery,
  JobScope,
  JobStatusClient,
  JobStatusClientOptions,
  JobStatusClock,
  JobStatusConnection,
  JobUpdate,
  LogsOptions,
  RequestOptions,
} from './types.js';
