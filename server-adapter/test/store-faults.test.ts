/**
 * Reliability: a store that cannot write (a full disk, a database outage) or cannot open.
 * The host app must keep serving, no job, state or log line may disappear without a mark
 * on the job, and new jobs are refused with 503 and `Retry-After` meanwhile (issue 13,
 * findings 1, 3 and 10). The store is broken on purpose by `failingStore`; the real full
 * disk is in `disk-full.test.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { memoryStore } from '@job-status/hono';
import type { JobStatus } from '@job-status/hono';
import { postgresStore } from '@job-status/hono/postgres';
import { diskFull, failingStore } from './fixtures/failing-store.js';
import { asAdmin, createTestJobs, gate, json, until } from './support.js';

/** Unhandled rejections and uncaught exceptions while a test runs: each one would kill a host app. */
let escaped: unknown[] = [];
const record = (error: unknown) => void escaped.push(error);
beforeEach(() => {
  escaped = [];
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
});
afterEach(() => {
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
});

let open: JobStatus[] = [];
afterEach(async () => {
  await Promise.all(open.map((jobs) => jobs.close()));
  open = [];
});

const terminal = (job: JobSnapshot | null) => !!job && ['success', 'warning', 'failed', 'canceled'].includes(job.state);
const fast = { storeRetry: { initialMs: 5, maxMs: 20 } };

function service(options: Parameters<typeof createTestJobs>[0] = {}) {
  const made = createTestJobs({ ...fast, ...options });
  open.push(made.jobs);
  return made;
}

describe('when the store cannot write', () => {
  it('keeps every running job\'s updates in order and writes them all when it is back; new jobs get 503 with Retry-After meanwhile, reads keep working', async () => {
    const { store, control } = failingStore(memoryStore());
    const { jobs, app, logger } = service({ store });
    const outage = gate();
    jobs.define('t.lines', {
      run: async (ctx) => {
        ctx.log('info', 'line 1');
        ctx.progress({ current: 1, total: 4 });
        await outage.promise;
        for (let i = 2; i <= 4; i++) {
          ctx.log('info', `line ${i}`);
          ctx.progress({ current: i, total: 4 });
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return { message: 'All 4 lines written' };
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await app.request('/jobs', json({ kind: 't.lines' }));
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { job_id: string }).job_id);
    }
    await until(async () => (await Promise.all(ids.map((id) => store.readLogs(id, 0, 10)))).every((lines) => lines.length === 1));

    control.failing = diskFull();
    outage.open();
    await until(() => control.failures >= 40);
    const refused = await app.request('/jobs', json({ kind: 't.lines' }));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    const read = await app.request(`/jobs/${ids[0]}`, { headers: asAdmin });
    expect(read.status).toBe(200);
    expect(logger.errors.filter((e) => e.event === 'store.down')).toHaveLength(1);

    const failedWrites = control.failures;
    const back = Date.now();
    control.failing = null;
    const settled = await until(async () => {
      const all = await Promise.all(ids.map((id) => jobs.get(id)));
      return all.every(terminal) && all;
    });
    const recoveredMs = Date.now() - back;
    const logs = await Promise.all(ids.map((id) => jobs.logs(id)));
    expect(settled.map((job) => job!.state)).toEqual(Array(8).fill('success'));
    expect(logs.map((lines) => lines.map((line: JobLogLine) => line.message))).toEqual(Array(8).fill(['line 1', 'line 2', 'line 3', 'line 4']));
    expect(logger.records.filter((r) => r.event === 'store.recovered')).toHaveLength(1);
    expect((await app.request('/jobs', json({ kind: 't.lines' }))).status).toBe(202);
    expect(escaped).toEqual([]);
    console.log(
      `store down while 8 jobs ran: ${failedWrites} writes failed and were retried; ` +
        `lines kept 32 of 32, jobs lost 0; all settled ${recoveredMs} ms after the store came back`,
    );
  });

  it('marks on the job, in its message, state and log, the lines it could not keep', async () => {
    const { store, control } = failingStore(memoryStore());
    const { jobs, logger } = service({ store, limits: { maxPendingLogLines: 3 }, ownerHeartbeatMs: 20 });
    const outage = gate();
    const back = gate();
    jobs.define('t.chatty', {
      run: async (ctx) => {
        await outage.promise;
        for (let i = 1; i <= 10; i++) ctx.log('info', `line ${i}`);
        await back.promise;
        return { message: 'Done.' };
      },
    });
    const { job_id } = await jobs.enqueue('t.chatty');
    await until(async () => (await jobs.get(job_id))?.state === 'running');
    control.failing = diskFull();
    // The owner heartbeat is the first write to fail: from then on the store is down.
    await until(() => logger.errors.some((e) => e.event === 'store.down'));
    outage.open();
    await until(() => control.failures >= 3);
    control.failing = null;
    back.open();
    const job = await until(async () => {
      const now = await jobs.get(job_id);
      return terminal(now) && now;
    });
    expect(job.state).toBe('warning');
    expect(job.message).toMatch(/Done\. .*7 log lines of this job could not be stored/);
    const lines = await jobs.logs(job_id);
    expect(lines.map((line) => line.message).slice(0, 3)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(lines.at(-1)).toMatchObject({ level: 'error', message: expect.stringMatching(/7 log lines/) });
    expect(logger.errors.find((e) => e.event === 'job.lines_lost')).toMatchObject({ job_id, lines: 7 });
    expect(escaped).toEqual([]);
  });

  it('keeps every line of a burst into a working store, however long', async () => {
    const { jobs } = service({ limits: { maxPendingLogLines: 10 } });
    jobs.define('t.burst', {
      run: (ctx) => {
        for (let i = 1; i <= 1200; i++) ctx.log('info', `line ${i}`);
      },
    });
    const { job_id } = await jobs.enqueue('t.burst');
    const job = await until(async () => {
      const now = await jobs.get(job_id);
      return terminal(now) && now;
    });
    expect(job.state).toBe('success');
    expect((await jobs.logs(job_id, 0, 2000)).map((line) => line.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
  });

  it('closes without throwing while the store is down, and logs each write it could not make', async () => {
    const { store, control } = failingStore(memoryStore());
    const { jobs, logger } = service({ store, closeTimeoutMs: 50 });
    const started = gate();
    jobs.define('t.stuck', {
      run: async (ctx) => {
        started.open();
        ctx.log('info', 'will not be written');
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    await jobs.enqueue('t.stuck');
    await started.promise;
    control.failing = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    await until(() => control.failures >= 2);
    await jobs.close();
    expect(logger.errors.filter((e) => e.event === 'job.write_lost').length).toBeGreaterThanOrEqual(1);
    expect(escaped).toEqual([]);
  });
});

describe('when the store does not open at start', () => {
  it('answers 503 with Retry-After, keeps trying with backoff, and serves once it opens', async () => {
    const { store, control } = failingStore(memoryStore());
    control.failOpens = 3;
    const { jobs, app, logger } = service({ store });
    jobs.define('t.ok', { run: () => ({ message: 'ok' }) });
    const early = await app.request('/jobs', json({ kind: 't.ok' }));
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await early.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    expect((await app.request('/jobs', { headers: asAdmin })).status).toBe(503);
    await jobs.ready;
    expect(logger.errors.filter((e) => e.event === 'store.open_failed')).toHaveLength(3);
    expect(logger.records.find((r) => r.event === 'store.opened')).toMatchObject({ attempts: 4 });
    expect((await app.request('/jobs', json({ kind: 't.ok' }))).status).toBe(202);
    expect(escaped).toEqual([]);
  });

  it('keeps the host up while Postgres refuses connections, and closes cleanly', async () => {
    const { jobs, app, logger } = service({ store: postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }) });
    jobs.define('t.ok', { run: () => ({ message: 'ok' }) });
    const response = await app.request('/jobs', json({ kind: 't.ok' }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    await until(() => logger.errors.filter((e) => e.event === 'store.open_failed').length >= 2);
    await jobs.close();
    await expect(jobs.ready).rejects.toThrow(/closed before the store opened/);
    expect(escaped).toEqual([]);
  });
});

describe('when an enqueue meets a store outage', () => {
  it('answers 503 with Retry-After instead of 500, and 202 again once the store writes', async () => {
    const { store, control } = failingStore(memoryStore());
    const { jobs, app } = service({ store, ownerHeartbeatMs: 50 });
    jobs.define('t.ok', { run: () => ({ message: 'ok' }) });
    await jobs.ready;
    control.failing = new Error('Connection terminated unexpectedly');
    const first = await app.request('/jobs', json({ kind: 't.ok' }));
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await first.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    control.failing = null;
    // The next owner heartbeat (or any write) finds the store back.
    await until(async () => (await app.request('/jobs', json({ kind: 't.ok' }))).status === 202);
    expect(escaped).toEqual([]);
  });
});
