import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createJobStatus, memoryStore } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { listStatement } from '../src/stores/sqlite/list-query.js';
import { jobFixture, storeBehaviour } from './store-suite.js';
import { quietLogger } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'job-status-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const dbPath = () => join(dir, `jobs-${files++}.db`);
/** A copy of a database's files as a process that dies now leaves them (the store keeps its lock while it lives). */
const diskAtCrash = (path: string) => {
  const copy = dbPath();
  for (const suffix of ['', '-wal']) if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix);
  return copy;
};
/** The tables and indexes whose pages the write-ahead log of `path` holds (frames since its last reset). */
const pagesInLog = (path: string, reader: Database.Database) => {
  const log = readFileSync(`${path}-wal`);
  const pageSize = log.readUInt32BE(8);
  const salt = log.readUInt32BE(16);
  const owners = new Map((reader.prepare('SELECT pageno, name FROM dbstat').all() as Array<{ pageno: number; name: string }>).map((p) => [p.pageno, p.name]));
  const names = new Set<string>();
  for (let at = 32; at + 24 + pageSize <= log.length && log.readUInt32BE(at + 8) === salt; at += 24 + pageSize) {
    names.add(owners.get(log.readUInt32BE(at)) ?? 'free page');
  }
  return [...names].sort();
};
/** The schema of job-status 0.1's files: every later open must keep reading and writing them. */
const FIRST_SCHEMA = `
CREATE TABLE job_status_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE job_status_jobs (job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT, label TEXT NOT NULL, state TEXT NOT NULL,
  phase TEXT, progress TEXT, message TEXT, error TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, updated_at TEXT NOT NULL,
  seq INTEGER NOT NULL, has_logs INTEGER NOT NULL, actor TEXT, input TEXT, idempotency_key TEXT UNIQUE, owner TEXT, result TEXT);
CREATE INDEX job_status_jobs_created ON job_status_jobs (created_at, job_id);
CREATE INDEX job_status_jobs_updated ON job_status_jobs (updated_at, job_id);
CREATE INDEX job_status_jobs_kind ON job_status_jobs (kind, target, created_at, job_id);
CREATE INDEX job_status_jobs_kind_created ON job_status_jobs (kind, created_at, job_id);
CREATE INDEX job_status_jobs_target ON job_status_jobs (target, created_at, job_id);
CREATE INDEX job_status_jobs_state ON job_status_jobs (state, created_at, job_id);
CREATE INDEX job_status_jobs_finished ON job_status_jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE job_status_logs (job_id TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
CREATE TABLE job_status_events (seq INTEGER PRIMARY KEY, job_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX job_status_events_job ON job_status_events (job_id);
CREATE TABLE job_status_owners (owner TEXT PRIMARY KEY, beat_at INTEGER NOT NULL);
`;

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
    // Announced to streams, never written: the process dies here, leaving the files as they are now.
    const lost = await crashed.save({ ...job, state: 'running' }, { durable: false });
    const disk = diskAtCrash(path);
    const restarted = sqliteStore({ path: disk });
    const reopened = await restarted.open();
    expect(reopened.epoch).not.toBe(epoch);
    // A job's seq only ever grows: the restart numbers above the reservation on disk, not from the disk head.
    expect((await restarted.save({ ...job, phase: 'again' }, { durable: true })).seq).toBeGreaterThan(lost.seq);
    await restarted.close();
    await crashed.close();
    const clean = sqliteStore({ path: disk });
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

  it('fails only a save that cannot be written, and keeps every other job\'s waiting saves and lines', async () => {
    const path = dbPath();
    const store = sqliteStore({ path, coalesceMs: 60_000 });
    await store.open();
    const job = await store.save(jobFixture(), { durable: true });
    await store.save({ ...job, state: 'running', phase: 'Halfway' }, { durable: false });
    await store.appendLog(job.job_id, { seq: 1, ts: job.created_at, level: 'info', message: 'waiting to be written' });
    // Nested deeper than JSON.stringify can go: this save must fail alone.
    let deep: unknown = [];
    for (let i = 0; i < 30_000; i++) deep = [deep];
    await expect(store.save(jobFixture({ input: deep }), { durable: true })).rejects.toThrow(RangeError);
    await store.save(jobFixture(), { durable: true });
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT state, phase FROM job_status_jobs WHERE job_id = ?').get(job.job_id)).toEqual({ state: 'running', phase: 'Halfway' });
    expect(reader.prepare('SELECT message FROM job_status_logs WHERE job_id = ?').all(job.job_id)).toEqual([{ message: 'waiting to be written' }]);
    reader.close();
    await store.close();
  });

  it('writes a progress save of a busy job into its row and its event alone, no index entry', async () => {
    const path = dbPath();
    const store = sqliteStore({ path, coalesceMs: 0 });
    await store.open();
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await store.save(jobFixture({ state: 'running' }), { durable: true }));
    const reader = new Database(path);
    // The log starts empty here: the frames read below are those of the progress saves alone.
    expect(reader.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
    for (const [i, job] of jobs.entries()) {
      await store.save({ ...job, progress: { percent: null, current: i, total: null, unit: 'files' }, updated_at: new Date().toISOString() }, { durable: false });
    }
    // The event log grows, so the file's first page (its size) may be written too.
    expect(pagesInLog(path, reader).filter((name) => name !== 'sqlite_schema')).toEqual(['job_status_events', 'job_status_jobs']);
    reader.close();
    await store.close();
  });

  it('opens a file of the first schema, drops the indexes the writes no longer keep, and reads, lists and prunes it as before', async () => {
    const path = dbPath();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(FIRST_SCHEMA);
    old.close();
    const first = sqliteStore({ path });
    await first.open();
    const done = await first.save(jobFixture({ state: 'success', finished_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' }), { durable: true });
    await first.close();
    // A file written by that version, indexes and all, then opened by this one.
    const legacy = new Database(path);
    legacy.exec(FIRST_SCHEMA.replaceAll('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS').replaceAll('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS'));
    legacy.close();

    const store = sqliteStore({ path });
    await store.open();
    const reader = new Database(path, { readonly: true });
    const indexes = (reader.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[]);
    expect(indexes).not.toContain('job_status_events_job');
    expect(indexes).not.toContain('job_status_jobs_updated');
    expect(indexes).toContain('job_status_jobs_updated_done');
    reader.close();
    const busy = await store.save(jobFixture({ state: 'running', updated_at: '2026-02-01T00:00:00.000Z' }), { durable: true });
    expect(await store.get(done.job_id)).toEqual(done);
    expect((await store.list({ sort: 'updated_desc', limit: 5 })).jobs.map((j) => j.job_id)).toEqual([busy.job_id, done.job_id]);
    expect(await store.prune({ finishedBefore: new Date('2026-06-01T00:00:00.000Z'), maxEvents: 1000 })).toEqual({ jobs: 1, events: 1 });
    expect((await store.readEvents(done.seq, 10))!.map((e) => e.seq)).toEqual([busy.seq]);
    await store.close();
    // Opened again (as every start does), it is left as it is.
    const again = sqliteStore({ path });
    await again.open();
    expect((await again.list({ sort: 'updated_desc', limit: 5 })).jobs.map((j) => j.job_id)).toEqual([busy.job_id]);
    await again.close();
  });

  it('reads a history page sorted by update through an index, with no sort of every job', async () => {
    const path = dbPath();
    const store = sqliteStore({ path });
    await store.open();
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (query: Parameters<typeof listStatement>[0]) => {
      const { sql, params } = listStatement(query);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail).join('\n');
    };
    const cursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'x'])).toString('base64url');
    for (const query of [{ sort: 'updated_desc', limit: 20 }, { sort: 'updated_desc', limit: 20, cursor }] as const) {
      const detail = plan(query);
      // Finished jobs come through the update index in order; busy ones (few) are sorted on their own.
      expect(detail).toMatch(/job_status_jobs USING INDEX job_status_jobs_updated_done/);
      expect(detail).toMatch(/job_status_jobs USING INDEX job_status_jobs_state/);
      expect(detail).not.toMatch(/SCAN job_status_jobs(?! USING)/);
    }
    // With a filter, finished jobs come through an update index of that filter's column,
    // in order, instead of every matching job being read and sorted.
    for (const [filter, index] of [
      [{ states: ['failed'] }, 'state'],
      [{ states: ['warning', 'canceled'] }, 'state'],
      [{ states: ['failed', 'running'] }, 'state'],
      [{ kinds: ['sync.push'] }, 'kind'],
      [{ targets: ['peer-a'] }, 'target'],
      [{ kinds: ['sync.push'], targets: ['peer-a'] }, '(kind|target)'],
    ] as const) {
      const detail = plan({ ...filter, sort: 'updated_desc', limit: 20 });
      expect(detail, JSON.stringify(filter)).toMatch(new RegExp(`job_status_jobs USING INDEX job_status_jobs_${index}_updated_done`));
      expect(detail, JSON.stringify(filter)).not.toMatch(/SCAN job_status_jobs(?! USING)/);
    }
    db.close();
  });

  it('merges busy and finished jobs of a page sorted by update in SQLite\'s text order, past U+FFFF too', async () => {
    const path = dbPath();
    const store = sqliteStore({ path });
    await store.open();
    const at = '2026-11-26T09:00:00.000Z';
    // Ids that JavaScript's < orders the other way round (UTF-16 units against code points):
    // the merge must stay SQLite's.
    for (const [id, busy] of [['x\uFFFD', false], ['x\u{1F600}', true], ['x\uE000', true], ['x\u{10000}', false], ['xa', false]] as const) {
      const job = jobFixture({ job_id: id, state: busy ? 'running' : 'success', finished_at: busy ? null : at, updated_at: at });
      await store.save(job, { durable: true });
    }
    const pages: string[] = [];
    for (let cursor: string | undefined, i = 0; i < 5; i++) {
      const page = await store.list({ sort: 'updated_desc', limit: 2, cursor });
      pages.push(...page.jobs.map((j) => j.job_id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(pages).toEqual(db.prepare('SELECT job_id FROM job_status_jobs ORDER BY updated_at DESC, job_id DESC').pluck().all());
    db.close();
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
