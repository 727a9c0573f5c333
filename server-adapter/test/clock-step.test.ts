import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { sqliteStore } from '@job-status/hono/sqlite';
import { asAdmin, createTestJobs, until } from './support.js';

/**
 * Issue 13, finding 10: with the server clock stepped back an hour, a tile (which follows
 * the newest job of its kind and target) showed an older failed job instead of the push
 * that had just succeeded, because "newest" was read from wall-clock creation times. Job
 * creation times are now monotonic: a job created later never carries an earlier
 * `created_at`, after a clock step and after a restart too.
 */
const HOUR = 3_600_000;
const dirs: string[] = [];
const contexts: Array<ReturnType<typeof createTestJobs>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const ctx of contexts.splice(0)) await ctx.jobs.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(path: string) {
  const ctx = createTestJobs({ store: sqliteStore({ path }) });
  ctx.jobs.define('sync.push', {
    run: (_ctx, input: unknown) => {
      if ((input as { fail?: boolean } | null)?.fail) throw new Error('The peer refused the connection.');
      return { message: 'Pushed.' };
    },
  });
  contexts.push(ctx);
  return ctx;
}

async function push(ctx: ReturnType<typeof createTestJobs>, fail: boolean) {
  const job = await ctx.jobs.enqueue('sync.push', { fail }, { target: 'peer-a' });
  return until(async () => {
    const now = await ctx.jobs.get(job.job_id);
    return now && !['queued', 'running'].includes(now.state) ? now : null;
  });
}

/** What a tile of kind + target loads first: the newest job of the pair. */
async function newest(ctx: ReturnType<typeof createTestJobs>) {
  const response = await ctx.app.request('/jobs?kind=sync.push&target=peer-a&limit=1', { headers: asAdmin });
  return ((await response.json()) as { jobs: JobSnapshot[] }).jobs[0]!;
}

describe('when the server clock steps back', () => {
  it('keeps the job just created the newest of its kind and target, before and after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'job-status-clock-'));
    dirs.push(dir);
    const path = join(dir, 'jobs.db');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-02T12:00:00.000Z') });
    const first = setup(path);
    const failed = await push(first, true);
    expect(failed.state).toBe('failed');

    vi.setSystemTime(Date.now() - HOUR);
    const pushed = await push(first, false);
    expect(pushed.state).toBe('success');
    expect(pushed.created_at > failed.created_at).toBe(true);
    expect((await newest(first)).job_id).toBe(pushed.job_id);

    // A restart on the stepped-back clock keeps the order too.
    await first.jobs.close();
    contexts.splice(contexts.indexOf(first), 1);
    vi.setSystemTime(Date.now() - HOUR);
    const second = setup(path);
    const again = await push(second, false);
    expect(again.created_at > pushed.created_at).toBe(true);
    expect((await newest(second)).job_id).toBe(again.job_id);
  });
});
