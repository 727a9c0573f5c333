import { TERMINAL_STATES } from '@job-status/protocol';
import type { StoredJob } from '../store.js';

/**
 * The finished jobs the SQLite store read most recently, by id (the least recently read
 * goes first when it is full). A finished job never
 * changes in this file: one process writes it (the single-process lock), and the store
 * refuses every save to a finished job. Only pruning removes one, and it goes through
 * {@link FinishedJobs.prune}. So a poll of finished jobs is answered from here with what
 * the file holds, without reading it again. Busy jobs are never kept: their rows change.
 */
export class FinishedJobs {
  readonly #jobs = new Map<string, StoredJob>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(jobId: string): StoredJob | undefined {
    const job = this.#jobs.get(jobId);
    if (job) {
      // Read again: it goes to the back of the line.
      this.#jobs.delete(jobId);
      this.#jobs.set(jobId, job);
    }
    return job;
  }

  /** Keeps `job` if it is finished; the least recently read goes when full. Returns `job`. */
  remember(job: StoredJob): StoredJob {
    if (!TERMINAL_STATES.has(job.state) || this.#jobs.has(job.job_id)) return job;
    if (this.#jobs.size >= this.#capacity) this.#jobs.delete(this.#jobs.keys().next().value!);
    this.#jobs.set(job.job_id, job);
    return job;
  }

  /** Forgets the jobs that pruning deletes: those finished before `cutoff` (an ISO time). */
  prune(cutoff: string) {
    for (const [id, job] of this.#jobs) if (job.finished_at !== null && job.finished_at < cutoff) this.#jobs.delete(id);
  }

  clear() {
    this.#jobs.clear();
  }
}
