/**
 * What a BullMQ job that Redis no longer has ends as (issue 13, finding 10): a job the
 * worker finished while Redis was down or restarting can be gone when the follower looks
 * again, and nobody removed it, so the hint must not blame "someone" with a dashboard.
 */
import { describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import type { JobContext } from '@job-status/hono';
import { Follower } from '../src/bullmq/follower.js';

/** A queue as BullMQ's answers look once Redis has lost the job: no job, no logs. */
const forgetfulQueue = { getJob: async () => undefined, getJobLogs: async () => ({ logs: [], count: 0 }) } as unknown as Queue;

const context = (): JobContext => ({
  jobId: crypto.randomUUID(),
  kind: 'report.build',
  target: null,
  actor: 'admin',
  signal: new AbortController().signal,
  phase: () => undefined,
  progress: () => undefined,
  log: () => undefined,
  warn: () => undefined,
});

describe('a BullMQ job that is gone from Redis without a removed event', () => {
  it('fails as lost, with a hint that says its outcome is unknown and blames nobody', async () => {
    const follower = new Follower(context(), forgetfulQueue, 0, async () => undefined);
    await follower.reconcile();
    const failure = await follower.done.then(() => null, (error: unknown) => error);
    expect(failure).toMatchObject({ code: 'lost', message: 'The job is no longer in the BullMQ queue, so its outcome is unknown.' });
    expect((failure as { hint: string }).hint).toMatch(/Redis outage or restart.*Check the worker's log/);
    expect((failure as { hint: string }).hint).not.toMatch(/someone|dashboard/i);
  });

  it('still names a removal when BullMQ reports one', async () => {
    const follower = new Follower(context(), forgetfulQueue, 0, async () => undefined);
    await follower.removed();
    await expect(follower.done).rejects.toMatchObject({ code: 'removed' });
  });
});
