import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createJobStatus, memoryStore } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { jobFixture, storeBehaviour } from './store-suite.js';
import { quietLogger } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'job-status-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const dbPath = () => join(dir, `jobs-${files++}.db`);

storeBehaviour('memory', () => memoryStore());
storeBehaviour('sqlite', () => sqliteStore({ path: dbPath() }));
storeBehaviour('sqlite without coalescing', () => sqliteStore({ path: dbPath(), coalesceMs: 0 }));

describe('sqlite store', () => {
  it('keeps history, logs, the epoch and the sequence across close and reopen', async () => {
    const path = dbPath();
    const first = sqliteStore({ path });
    const { epoch } = await first.open();
    const job = await first.save(jobFixture(), { durable: true });
    const progressed = await first.save({ ...job, state: 'running', progress: { percent: 40, current: null, total: null, unit: null } }, { durable: false });
    await first.appendLog(job.job_id, { seq: 1, ts: job.created_at, level: 'info', message: 'kept' });
    await first.close();

    const second = sqliteStore({ path });
    expect((await second.open()).epoch).toBe(epoch);
    expect(await second.get(job.job_id)).toEqual(progressed);
    expect((await second.readLogs(job.job_id, 0, 10)).map((l) => l.message)).toEqual(['kept']);
    expect((await second.readEvents(0, 10))!.map((e) => e.seq)).toEqual([job.seq, progressed.seq]);
    expect((await second.save(jobFixture(), { durable: true })).seq).toBe(progressed.seq + 1);
    await second.close();
  });

  it('starts a new epoch after a process that did not close, and numbers above every number it handed out', async () => {
    const path = dbPath();
    const crashed = sqliteStore({ path, coalesceMs: 60_000 });
    const { epoch } = await crashed.open();
    const job = await crashed.save(jobFixture(), { durable: true });
    // Announced to streams, never written: the process dies here.
    const lost = await crashed.save({ ...job, state: 'running' }, { durable: false });
    const restarted = sqliteStore({ path });
    const reopened = await restarted.open();
    expect(reopened.epoch).not.toBe(epoch);
    // A job's seq only ever grows: the restart numbers above the reservation on disk, not from the disk head.
    expect((await restarted.save({ ...job, phase: 'again' }, { durable: true })).seq).toBeGreaterThan(lost.seq);
    await restarted.close();
    const clean = sqliteStore({ path });
    expect((await clean.open()).epoch).toBe(reopened.epoch);
    await clean.close();
  });

  it('commits a durable save before it resolves, while coalesced saves wait for the next write', async () => {
    const path = dbPath();
    const store = sqliteStore({ path, coalesceMs: 60_000 });
    await store.open();
    const reader = new Database(path, { readonly: true });
    const stateOnDisk = (id: string) => (reader.prepare('SELECT state FROM job_status_jobs WHERE job_id = ?').get(id) as { state: string } | undefined)?.state;
    const job = await store.save(jobFixture(), { durable: true });
    expect(stateOnDisk(job.job_id)).toBe('queued');
    await store.save({ ...job, state: 'running' }, { durable: false });
    expect(stateOnDisk(job.job_id)).toBe('queued');
    expect((await store.get(job.job_id))!.state).toBe('running');
    await store.save({ ...job, state: 'success', finished_at: new Date().toISOString() }, { durable: true });
    expect(stateOnDisk(job.job_id)).toBe('success');
    reader.close();
    await store.close();
  });

  it('finishes jobs a dead process left busy as failed interrupted, with a hint, on the next start', async () => {
    const path = dbPath();
    const dead = sqliteStore({ path });
    await dead.open();
    const running = await dead.save(jobFixture({ state: 'running', started_at: new Date().toISOString() }), { durable: true });
    const queued = await dead.save(jobFixture(), { durable: true });
    await dead.close();

    const logger = quietLogger();
    const jobs = createJobStatus({ authorize: () => ({ id: 'a' }), store: sqliteStore({ path }), logger });
    await jobs.ready;
    for (const id of [running.job_id, queued.job_id]) {
      const job = await jobs.get(id);
      expect(job).toMatchObject({ state: 'failed', error: { code: 'interrupted', hint: expect.stringMatching(/run the action again/) } });
      expect(job!.finished_at).not.toBeNull();
    }
    expect(logger.records.filter((r) => r.event === 'job.settled' && r.error_code === 'interrupted')).toHaveLength(2);
    await jobs.close();
  });

  it('keeps history when the service restarts, and prunes it after the retention window', async () => {
    const path = dbPath();
    const first = createJobStatus({ authorize: () => ({ id: 'a' }), store: sqliteStore({ path }), logger: quietLogger() });
    first.define('t', { run: (ctx) => { ctx.log('info', 'ran'); return { message: 'ok' }; } });
    const { job_id } = await first.enqueue('t');
    for (let i = 0; (await first.get(job_id))!.state !== 'success' && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
    await first.close();

    const second = createJobStatus({ authorize: () => ({ id: 'a' }), store: sqliteStore({ path }), logger: quietLogger() });
    expect(await second.get(job_id)).toMatchObject({ state: 'success', message: 'ok' });
    expect((await second.logs(job_id)).map((l) => l.message)).toEqual(['ran']);
    await second.close();

    await new Promise((r) => setTimeout(r, 20));
    const third = createJobStatus({ authorize: () => ({ id: 'a' }), store: sqliteStore({ path }), logger: quietLogger(), retentionMs: 10 });
    await third.ready;
    expect(await third.get(job_id)).toBeNull();
    expect((await third.list()).jobs).toEqual([]);
    await third.close();
  });
});
