export {
  JobState,
  JOB_STATES,
  TERMINAL_STATES,
  isJobState,
  isTerminalState,
} from './states.js';
export type { BusyJobState, TerminalJobState } from './states.js';
export { LOG_LEVELS, queuedSnapshot } from './snapshot.js';
export type { JobError, JobLogLine, JobProgress, JobSnapshot, LogLevel, QueuedJob } from './snapshot.js';
export {
  JobEvent,
  LIST_SORTS,
  LAST_EVENT_ID_HEADER,
  LAST_EVENT_ID_PARAM,
  MIN_POLL_INTERVAL_HEADER,
  MAX_IDS_HEADER,
  DEFAULT_MAX_IDS,
  HEARTBEAT_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  LOG_PARAM,
  formatEventId,
  parseEventId,
} from './wire.js';
export type {
  EnqueueResponse,
  ErrorBody,
  EventId,
  JobKindInfo,
  JobKindsResponse,
  JobListResponse,
  JobLogEvent,
  JobLogsResponse,
  ListSort,
} from './wire.js';
export { isErrorBody, isJobError, isJobLogEvent, isJobLogLine, isJobProgress, isJobSnapshot } from './guards.js';
