import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { JobFailure, createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStore } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { TypicalDurations } from '../src/registry/typical-durations.js';
import { jobFixture } from './store-suite.js';
import { gate, quietLogger } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'job-status-typical-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Saves a finished run of `kind`/`target` that took `seconds`, finished `minute` minutes into the day. */
async function run(store: JobStore, seconds: number, minute: number, patch: { state?: 'success' | 'failed'; target?: string | null; kind?: string } = {}) {
  const start = Date.UTC(2026, 10, 25, 9, minute);
  const job = await store.save(jobFixture({ kind: patch.kind ?? 'sync.push', target: patch.target === undefined ? 'peer-a' : patch.target }, minute), { durable: true });
  const finished = new Date(start + seconds * 1000).toISOString();
  await store.save({ ...job, state: patch.state ?? 'success', started_at: new Date(start).toISOString(), finished_at: finished, updated_at: finished }, { durable: true });
}

describe.each([
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore({ path: join(dir, `jobs-${files++}.db`) })],
])('typical duration, on the %s store', (_name, make) => {
  const withStore = (test: (store: JobStore, typical: TypicalDurations) => Promise<void>) => async () => {
    const store = make();
    await store.open();
    try {
      await test(store, new TypicalDurations(store, (error) => { throw error; }));
    } finally {
      await store.close();
    }
  };

  it('is the median of the newest successful runs of the same kind and target', withStore(async (store, typical) => {
    await run(store, 30, 1);
    await run(store, 50, 2);
    await run(store, 40, 3);
    // Neither a failure, nor another target, nor another kind, nor a job without target counts.
    await run(store, 900, 4, { state: 'failed' });
    await run(store, 900, 5, { target: 'peer-b' });
    await run(store, 900, 6, { kind: 'sync.pull' });
    await run(store, 900, 7, { target: null });
    expect(await typical.of('sync.push', 'peer-a')).toBe(40_000);
  }));

  it('is not given while fewer than three successful runs are known', withStore(async (store, typical) => {
    await run(store, 30, 1);
    await run(store, 50, 2);
    await run(store, 40, 3, { state: 'failed' });
    expect(await typical.of('sync.push', 'peer-a')).toBeNull();
    expect(await typical.of('sync.push', 'peer-z')).toBeNull();
  }));

  it('keeps apart the runs without a target', withStore(async (store, typical) => {
    for (const [minute, seconds] of [[1, 10], [2, 12], [3, 14]] as const) await run(store, seconds, minute, { target: null });
    await run(store, 900, 4);
    expect(await typical.of('sync.push', null)).toBe(12_000);
  }));

  it('looks only at the ten newest runs, and reads them again when asked after a run settles', withStore(async (store, typical) => {
    for (let minute = 1; minute <= 10; minute++) await run(store, 100, minute);
    expect(await typical.of('sync.push', 'peer-a')).toBe(100_000);
    for (let minute = 11; minute <= 16; minute++) await run(store, 20, minute);
    // Cached until told: no read per snapshot.
    expect(typical.peek('sync.push', 'peer-a')).toBe(100_000);
    typical.refresh('sync.push', 'peer-a');
    await expect.poll(() => typical.peek('sync.push', 'peer-a')).toBe(20_000);
  }));
});

describe('typical duration, when the store cannot be read', () => {
  it('logs the failure once and gives no typical duration, instead of a query per snapshot', async () => {
    const store = memoryStore();
    await store.open();
    let reads = 0;
    const failing = Object.assign(Object.create(store), { list: async () => { reads++; throw new Error('store down'); } }) as JobStore;
    const errors: unknown[] = [];
    const typical = new TypicalDurations(failing, (error) => errors.push(error));
    expect(await typical.of('sync.push', 'peer-a')).toBeNull();
    for (let i = 0; i < 50; i++) expect(typical.peek('sync.push', 'peer-a')).toBeNull();
    expect([reads, errors.length]).toEqual([1, 1]);
    await store.close();
  });
});

describe('the registry and the typical duration', () => {
  it('puts it on the snapshots of a busy job once three runs of its kind and target succeeded, and never on a finished one', async () => {
    const jobs = createJobStatus({ authorize: () => ({ id: 'a' }), logger: quietLogger() });
    let hold: { promise: Promise<void>; open: () => void } | null = null;
    jobs.define('t.slow', { run: async () => void (await hold?.promise) });
    const done = async (id: string) => {
      await expect.poll(async () => (await jobs.get(id))?.state).toBe('success');
      return (await jobs.get(id))!;
    };
    const finished: JobSnapshot[] = [];
    for (let i = 0; i < 3; i++) finished.push(await done((await jobs.enqueue('t.slow', null, { target: 'x' })).job_id));
    expect(finished.every((job) => job.typical_duration_ms === undefined)).toBe(true);
    hold = gate();
    const busy = await jobs.enqueue('t.slow', null, { target: 'x' });
    await expect.poll(async () => (await jobs.get(busy.job_id))?.typical_duration_ms).toBeTypeOf('number');
    expect((await jobs.list({ kinds: ['t.slow'], limit: 1 })).jobs[0]).toMatchObject({ job_id: busy.job_id, typical_duration_ms: expect.any(Number) });
    // Another target has no history of its own.
    const other = await jobs.enqueue('t.slow', null, { target: 'y' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await jobs.get(other.job_id))?.typical_duration_ms).toBeUndefined();
    hold.open();
    expect((await done(busy.job_id)).typical_duration_ms).toBeUndefined();
    await jobs.close();
  });
});

describe('a failure in the log', () => {
  it('is the last line of a failed job, with its hint, even when the job logged nothing before', async () => {
    const jobs = createJobStatus({ authorize: () => ({ id: 'a' }), logger: quietLogger() });
    jobs.define('t.fail', {
      run: async (ctx) => {
        ctx.progress({ current: 5, total: 10, unit: 'files' });
        throw new JobFailure('The peer went away.', { code: 'peer_gone', hint: 'Run it again.' });
      },
    });
    const { job_id } = await jobs.enqueue('t.fail', null);
    await expect.poll(async () => (await jobs.get(job_id))?.state).toBe('failed');
    expect((await jobs.get(job_id))!.has_logs).toBe(true);
    const lines = await jobs.logs(job_id);
    expect(lines.at(-1)).toMatchObject({ level: 'error', message: 'The peer went away. Run it again.' });
    await jobs.close();
  });
});
