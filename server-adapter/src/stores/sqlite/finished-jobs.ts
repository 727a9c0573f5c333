import { TERMINAL_STATES } from '@job-status/protocol';
import type { StoredJob } from '../store.js';

/**
 * The finished jobs the SQLite store read recently, by id: at most `capacity`, in two
 * generations, so a read costs one or two lookups and no reordering; when the young one
 * is full it becomes the old one, and what was old and not read since is dropped.
 *
 * A finished job never changes in this file: one process writes it (the single-process
 * lock), and the store refuses every save to a finished job. Only pruning removes one,
 * and it goes through {@link FinishedJobs.prune}. So a poll of finished jobs is answered
 * from here with what the file holds, without reading it again. Busy jobs are never kept:
 * their rows change.
 */
export class FinishedJobs {
  #young = new Map<string, StoredJob>();
  #old = new Map<string, StoredJob>();
  readonly #generation: number;

  constructor(capacity: number) {
    this.#generation = Math.max(1, Math.floor(capacity / 2));
  }

  get(jobId: string): StoredJob | undefined {
    const young = this.#young.get(jobId);
    if (young) return young;
    const old = this.#old.get(jobId);
    // Read again: it moves to the young generation.
    if (old) this.#keep(old);
    return old;
  }

  /** Keeps `job` if it is finished. Returns `job`. */
  remember(job: StoredJob): StoredJob {
    if (TERMINAL_STATES.has(job.state) && !this.#young.has(job.job_id)) this.#keep(job);
    return job;
  }

  #keep(job: StoredJob) {
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(job.job_id, job);
  }

  /** Forgets the jobs that pruning deletes: those finished before `cutoff` (an ISO time). */
  prune(cutoff: string) {
    for (const jobs of [this.#young, this.#old]) {
      for (const [id, job] of jobs) if (job.finished_at !== null && job.finished_at < cutoff) jobs.delete(id);
    }
  }

  clear() {
    this.#young.clear();
    this.#old.clear();
  }
}
