/**
 * Part 6, store: progress writes into the SQLite store with coalescing on and off,
 * against raw better-sqlite3 doing the same two writes per update; and history queries
 * over a table of many finished jobs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteStore } from '@job-status/hono/sqlite';
import type { JobStore, ListQuery, StoredJob } from '@job-status/hono';
import { percentiles } from '../lib/histogram.mjs';
import { serveCommands } from '../lib/workers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'job-status-bench-store-'));
let file = 0;
const freshPath = () => join(dir, `store-${++file}.db`);
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

function jobRecord(i: number, state: StoredJob['state'] = 'running'): Omit<StoredJob, 'seq'> {
  const now = new Date().toISOString();
  return {
    job_id: randomUUID(), kind: 'sync.push', target: `peer-${i}`, label: `Push to peer-${i}`, state,
    phase: 'Uploading records', progress: null, message: null, error: null, created_at: now, started_at: now,
    finished_at: null, updated_at: now, has_logs: false, actor: 'bench', input: null, idempotency_key: null, owner: null,
  };
}

/** Progress saves for `durationMs` over 100 running jobs, yielding to timers every 200 saves. */
async function progressRun(coalesceMs: number, durationMs: number) {
  const path = freshPath();
  const store: JobStore = sqliteStore({ path, coalesceMs });
  await store.open();
  const jobs: Array<Omit<StoredJob, 'seq'>> = [];
  for (let i = 0; i < 100; i++) {
    jobs.push(jobRecord(i));
    await store.save(jobs[i]!, { durable: true });
  }
  const start = performance.now();
  let updates = 0;
  while (performance.now() - start < durationMs) {
    for (let k = 0; k < 200; k++, updates++) {
      const job = jobs[updates % jobs.length]!;
      const current = Math.floor(updates / jobs.length);
      await store.save(
        { ...job, progress: { percent: null, current, total: null, unit: 'files' }, updated_at: new Date().toISOString() },
        { durable: false },
      );
    }
    await yieldToLoop();
  }
  await store.close(); // writes what is still pending: counted in the time
  const seconds = (performance.now() - start) / 1000;
  const db = new Database(path, { readonly: true });
  const events = Number((db.prepare('SELECT COUNT(*) AS n FROM job_status_events').get() as { n: number }).n);
  db.close();
  return { updates, seconds, per_s: updates / seconds, events_written: events - jobs.length, all_written: events - jobs.length === updates };
}

/** The same two writes per update (the job row and an event row), one transaction each, no store. */
function rawRun(durationMs: number) {
  const db = new Database(freshPath());
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE jobs (job_id TEXT PRIMARY KEY, progress TEXT, updated_at TEXT, seq INTEGER); CREATE TABLE events (seq INTEGER PRIMARY KEY, job_id TEXT NOT NULL, data TEXT NOT NULL)');
  const ids = Array.from({ length: 100 }, () => randomUUID());
  const insert = db.prepare('INSERT INTO jobs (job_id, progress, updated_at, seq) VALUES (?, NULL, ?, 0)');
  for (const id of ids) insert.run(id, new Date().toISOString());
  const update = db.prepare('UPDATE jobs SET progress = ?, updated_at = ?, seq = ? WHERE job_id = ?');
  const event = db.prepare('INSERT INTO events (seq, job_id, data) VALUES (?, ?, ?)');
  const write = db.transaction((id: string, seq: number, progress: string, at: string, data: string) => {
    update.run(progress, at, seq, id);
    event.run(seq, id, data);
  });
  const template = jobRecord(0);
  const start = performance.now();
  let updates = 0;
  while (performance.now() - start < durationMs) {
    for (let k = 0; k < 200; k++, updates++) {
      const id = ids[updates % ids.length]!;
      const progress = { percent: null, current: Math.floor(updates / ids.length), total: null, unit: 'files' };
      const at = new Date().toISOString();
      write(id, updates + 1, JSON.stringify(progress), at, JSON.stringify({ ...template, job_id: id, progress, updated_at: at, seq: updates + 1 }));
    }
  }
  db.close();
  const seconds = (performance.now() - start) / 1000;
  return { updates, seconds, per_s: updates / seconds };
}

const KINDS = ['sync.push', 'sync.pull', 'dedalus.verify', 'report.export', 'index.rebuild', 'cache.purge', 'user.import', 'backup.run'];
const TARGETS = Array.from({ length: 40 }, (_, i) => `peer-${i}`);
/** Terminal states with realistic weights: most jobs succeed. */
const STATES: Array<[StoredJob['state'], number]> = [['success', 0.85], ['failed', 0.08], ['warning', 0.04], ['canceled', 0.03]];
const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;
function pickState() {
  let r = Math.random();
  for (const [state, weight] of STATES) if ((r -= weight) < 0) return state;
  return 'success';
}

/** Fills a store's table with `rows` finished jobs spread over the last 30 days. */
function fill(path: string, rows: number) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const columns = ['job_id', 'kind', 'target', 'label', 'state', 'phase', 'progress', 'message', 'error', 'created_at', 'started_at', 'finished_at', 'updated_at', 'seq', 'has_logs', 'actor', 'input', 'idempotency_key', 'owner', 'result'];
  const insert = db.prepare(`INSERT INTO job_status_jobs (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  const span = 30 * 24 * 3600_000;
  const t0 = Date.now() - span;
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const target = kind.startsWith('sync.') || kind === 'dedalus.verify' ? pick(TARGETS) : null;
      const state = pickState();
      const created = t0 + (i / rows) * span;
      const iso = (ms: number) => new Date(ms).toISOString();
      const error = state === 'failed' ? JSON.stringify({ code: 'peer_unreachable', message: 'The connection to the peer dropped.', hint: 'Check the peer, then run it again.' }) : null;
      insert.run(
        randomUUID(), kind, target, `${kind} ${target ?? ''}`.trim(), state, null,
        JSON.stringify({ percent: 100, current: 120, total: 120, unit: 'files' }),
        state === 'success' ? 'Pushed 120 files.' : 'The connection to the peer dropped after 60 of 120 files.', error,
        iso(created), iso(created + 50), iso(created + 4000), iso(created + 4000), i + 1, i % 3 === 0 ? 1 : 0, 'admin', null, null, null, null,
      );
    }
  });
  const start = performance.now();
  for (let i = 0; i < rows; i += 20_000) batch(i, Math.min(rows, i + 20_000));
  db.close();
  return (performance.now() - start) / 1000;
}

/** The filtered pages an admin's history view asks for, each with fresh random values. */
const QUERIES: Record<string, (cursor: () => string | undefined) => ListQuery> = {
  'state=failed': () => ({ states: ['failed'], sort: 'created_desc', limit: 20 }),
  'kind=K&target=T': () => ({ kinds: [pick(KINDS.slice(0, 3))], targets: [pick(TARGETS)], sort: 'created_desc', limit: 20 }),
  'kind=K': () => ({ kinds: [pick(KINDS)], sort: 'created_desc', limit: 20 }),
  'target=T': () => ({ targets: [pick(TARGETS)], sort: 'created_desc', limit: 20 }),
  'state=failed&kind=K': () => ({ states: ['failed'], kinds: [pick(KINDS)], sort: 'created_desc', limit: 20 }),
  'state=warning,canceled': () => ({ states: ['warning', 'canceled'], sort: 'created_desc', limit: 20 }),
  'state=failed, deep page (cursor)': (cursor) => ({ states: ['failed'], sort: 'created_desc', limit: 20, cursor: cursor() }),
  'no filter, sort=updated_desc': () => ({ sort: 'updated_desc', limit: 20 }),
  'state=failed, sort=updated_desc': () => ({ states: ['failed'], sort: 'updated_desc', limit: 20 }),
  'kind=K, sort=updated_desc': () => ({ kinds: [pick(KINDS)], sort: 'updated_desc', limit: 20 }),
  'state=warning,canceled, sort=updated_desc': () => ({ states: ['warning', 'canceled'], sort: 'updated_desc', limit: 20 }),
  'kind=K&target=T, sort=updated_desc': () => ({ kinds: [pick(KINDS.slice(0, 3))], targets: [pick(TARGETS)], sort: 'updated_desc', limit: 20 }),
};

/** Each query type runs `repeats` times (after 5 unrecorded), or for `budgetMs`, whichever ends first. */
async function historyRun(rows: number, repeats: number, budgetMs: number) {
  const path = freshPath();
  const first = sqliteStore({ path });
  await first.open();
  await first.close();
  const fillSeconds = fill(path, rows);
  const store = sqliteStore({ path });
  await store.open();
  // Cursors at random depths of the failed-jobs listing, made by walking it once.
  const cursors: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const result = await store.list({ states: ['failed'], sort: 'created_desc', limit: 100, cursor });
    if (!result.next_cursor) break;
    cursor = result.next_cursor;
    cursors.push(cursor);
  }
  const results: Record<string, ReturnType<typeof percentiles> & { rows: number }> = {};
  const all: number[] = [];
  for (const [name, make] of Object.entries(QUERIES)) {
    const times: number[] = [];
    let returned = 0;
    const until = performance.now() + budgetMs;
    for (let i = 0; i < repeats + 5 && performance.now() < until; i++) {
      const query = make(() => pick(cursors));
      const start = performance.now();
      const page = await store.list(query);
      const ms = performance.now() - start;
      if (i >= 5) {
        times.push(ms);
        returned += page.jobs.length;
      }
    }
    all.push(...times);
    results[name] = { ...percentiles(times), rows: times.length ? returned / times.length : 0 };
  }
  await store.close();
  const bytes = statSync(path).size;
  return { rows, fill_s: fillSeconds, db_mb: bytes / 2 ** 20, queries: results, overall: percentiles(all) };
}

serveCommands({
  progress: ({ coalesceMs, durationMs }: { coalesceMs: number; durationMs: number }) => progressRun(coalesceMs, durationMs),
  raw: ({ durationMs }: { durationMs: number }) => rawRun(durationMs),
  history: ({ rows, repeats, budgetMs }: { rows: number; repeats: number; budgetMs: number }) => historyRun(rows, repeats, budgetMs),
  close: () => rmSync(dir, { recursive: true, force: true }),
});
