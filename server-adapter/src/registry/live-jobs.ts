import type { JobLogLine, TerminalJobState } from '@job-status/protocol';
import { isTerminalState } from '@job-status/protocol';
import { JobAbortedError } from '../errors.js';
import type { JobStatusError } from '../errors.js';
import type { StoredJob } from '../stores/store.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import type { JobDefinition } from './definition.js';
import { LiveJob } from './live-job.js';
import type { Ending, LiveJobOptions } from './live-job.js';

export interface LiveJobsOptions extends Omit<LiveJobOptions, 'refused' | 'changed' | 'folded' | 'saved' | 'appended'> {
  telemetry: JobStatusTelemetry;
  /** A save of a job reached the store: publish it. */
  saved(job: StoredJob): void;
  /** A log line of a job reached the store: publish it. */
  appended(jobId: string, line: JobLogLine): void;
  /** The job lets go of its place in the bounded queue, if it held one. */
  leave(live: LiveJob): void;
  /** A job reached its terminal state in the store. */
  settled(job: StoredJob): void;
}

/**
 * The jobs this process runs, by id, from enqueue to their terminal state (or until
 * another process takes one over).
 */
export class LiveJobs extends Map<string, LiveJob> {
  readonly #options: LiveJobsOptions;

  constructor(options: LiveJobsOptions) {
    super();
    this.#options = options;
  }

  /** A live job for a job just saved (or claimed); `set` it to make it live. */
  create(saved: StoredJob, definition: JobDefinition<any>): LiveJob {
    const { telemetry } = this.#options;
    return new LiveJob(saved, definition, {
      ...this.#options,
      saved: (job) => this.#options.saved(job),
      appended: (line) => this.#options.appended(saved.job_id, line),
      folded: (draft) => telemetry.eventFolded(draft),
      changed: (draft, patch) => telemetry.jobChanged(draft, patch),
      refused: (live, error) => this.#lost(live, error),
    });
  }

  /** Ends a job (once): saves its terminal state, then it is no longer live. */
  async finish(live: LiveJob, state: TerminalJobState, ending: Ending) {
    if (!(await live.end(state, ending))) return;
    const { job_id } = live.writes.draft;
    if (this.get(job_id) === live) this.delete(job_id);
    if (isTerminalState(live.writes.saved.state)) this.#options.settled(live.writes.saved);
  }

  /**
   * Another process claimed (and maybe finished) this job while this one's heartbeat did
   * not reach the store for longer than the lapse: it took the silence for death. The
   * store refuses this process's writes from then on; it stops the handler and lets the
   * job go.
   */
  #lost(live: LiveJob, error: JobStatusError) {
    const jobId = live.writes.draft.job_id;
    if (this.get(jobId) !== live) return;
    live.finished = true;
    live.controller.abort(new JobAbortedError('taken-over'));
    this.delete(jobId);
    this.#options.leave(live);
    live.markDone();
    this.#options.logger.error({ job_id: jobId, err: error.message }, 'job-status: another process took over this job; stopped running it here');
  }
}
