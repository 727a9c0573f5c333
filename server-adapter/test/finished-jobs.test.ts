import { describe, expect, it } from 'vitest';
import type { StoredJob } from '@job-status/hono';
import { FinishedJobs } from '../src/stores/sqlite/finished-jobs.js';
import { jobFixture } from './store-suite.js';

const finishedJob = (minute: number): StoredJob => {
  const at = new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString();
  return { ...jobFixture({ state: 'success', finished_at: at, updated_at: at }), seq: minute + 1 };
};

describe('the finished jobs the SQLite store keeps', () => {
  it('keeps finished jobs only, at most as many as its capacity, and the ones read again longest', () => {
    const kept = new FinishedJobs(4);
    const busy = { ...jobFixture({ state: 'running' }), seq: 1 };
    expect(kept.remember(busy)).toBe(busy);
    expect(kept.get(busy.job_id)).toBeUndefined();
    const jobs = Array.from({ length: 12 }, (_, i) => finishedJob(i));
    const favourite = jobs[0]!;
    for (const job of jobs) {
      kept.remember(job);
      // Read after every new job: it is never the one dropped.
      expect(kept.get(favourite.job_id)).toBe(favourite);
    }
    const held = jobs.filter((job) => kept.get(job.job_id) !== undefined);
    expect(held.length).toBeLessThanOrEqual(4);
    expect(held).toContain(favourite);
    expect(held).toContain(jobs.at(-1));
  });

  it('forgets what pruning deletes, and everything on clear', () => {
    const kept = new FinishedJobs(100);
    const jobs = Array.from({ length: 10 }, (_, i) => finishedJob(i));
    for (const job of jobs) kept.remember(job);
    kept.prune(jobs[5]!.finished_at!);
    expect(jobs.map((job) => kept.get(job.job_id) !== undefined)).toEqual([false, false, false, false, false, true, true, true, true, true]);
    kept.clear();
    expect(jobs.some((job) => kept.get(job.job_id))).toBe(false);
  });
});
