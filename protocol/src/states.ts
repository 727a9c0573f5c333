/**
 * The six states a job moves through. `queued` and `running` are busy; the other four
 * are terminal: once a job reaches one, it never changes again.
 */
export const JobState = Object.freeze({
  queued: 'queued',
  running: 'running',
  success: 'success',
  warning: 'warning',
  failed: 'failed',
  canceled: 'canceled',
} as const);

/** One of the six job states. */
export type JobState = (typeof JobState)[keyof typeof JobState];

/** Every state, in lifecycle order. */
export const JOB_STATES: readonly JobState[] = Object.freeze(Object.values(JobState));

/** The states a job ends in. A terminal job never changes again. */
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set<JobState>([
  JobState.success,
  JobState.warning,
  JobState.failed,
  JobState.canceled,
]);

/** A terminal state: the job will not change again. */
export type TerminalJobState = 'success' | 'warning' | 'failed' | 'canceled';

/** A busy state: the job is waiting or working. */
export type BusyJobState = 'queued' | 'running';

/** True when `state` is one of the six states. */
export function isJobState(state: unknown): state is JobState {
  return typeof state === 'string' && (JOB_STATES as readonly string[]).includes(state);
}

/** True when a job in `state` will never change again. */
export function isTerminalState(state: JobState): state is TerminalJobState {
  return TERMINAL_STATES.has(state);
}
