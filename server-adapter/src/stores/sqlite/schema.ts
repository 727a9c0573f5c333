import type Database from 'better-sqlite3';
import type { StoredJob } from '../store.js';

/** The rows of busy jobs, as an SQL condition. */
export const BUSY = "state IN ('queued', 'running')";
/** The rows of finished jobs: every other row (`state` is never null). The update-time index's condition. */
export const FINISHED = "state NOT IN ('queued', 'running')";

/**
 * The tables and indexes of the SQLite store, created when missing.
 *
 * Progress saves are the hot write, so no index they would touch is kept: the jobs'
 * update-time index holds finished jobs only (history lists busy jobs, which are few,
 * through the state index and merges them in: `sqlite/list-query.ts`), and the event log
 * has no index on `job_id` (prune finds a job's events by their numbers, which never
 * pass the job row's `seq`). A progress save then writes the job row and the event row,
 * one page each, where it wrote two more index pages per row before.
 *
 * History sorted by update time with a filter reads finished jobs through an index of
 * their own per filter column (state, kind, target; finished jobs only, so a progress
 * save touches none): without it SQLite read every job matching the filter and sorted
 * them (100–200 ms for a page of 20 at 300 000 jobs). They cost disk (a file of 300 000
 * finished jobs: 264 → 339 MB) and three index entries when a job finishes.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_status_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_status_jobs (
  job_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  target TEXT,
  label TEXT NOT NULL,
  state TEXT NOT NULL,
  phase TEXT,
  progress TEXT,
  message TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  updated_at TEXT NOT NULL,
  seq INTEGER NOT NULL,
  has_logs INTEGER NOT NULL,
  actor TEXT,
  input TEXT,
  idempotency_key TEXT UNIQUE,
  owner TEXT,
  result TEXT
);
CREATE INDEX IF NOT EXISTS job_status_jobs_created ON job_status_jobs (created_at, job_id);
CREATE INDEX IF NOT EXISTS job_status_jobs_updated_done ON job_status_jobs (updated_at, job_id) WHERE ${FINISHED};
CREATE INDEX IF NOT EXISTS job_status_jobs_state_updated_done ON job_status_jobs (state, updated_at, job_id) WHERE ${FINISHED};
CREATE INDEX IF NOT EXISTS job_status_jobs_kind_updated_done ON job_status_jobs (kind, updated_at, job_id) WHERE ${FINISHED};
CREATE INDEX IF NOT EXISTS job_status_jobs_target_updated_done ON job_status_jobs (target, updated_at, job_id) WHERE ${FINISHED};
CREATE INDEX IF NOT EXISTS job_status_jobs_kind ON job_status_jobs (kind, target, created_at, job_id);
CREATE INDEX IF NOT EXISTS job_status_jobs_kind_created ON job_status_jobs (kind, created_at, job_id);
CREATE INDEX IF NOT EXISTS job_status_jobs_target ON job_status_jobs (target, created_at, job_id);
CREATE INDEX IF NOT EXISTS job_status_jobs_state ON job_status_jobs (state, created_at, job_id);
CREATE INDEX IF NOT EXISTS job_status_jobs_finished ON job_status_jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_status_logs (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_status_events (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_status_owners (owner TEXT PRIMARY KEY, beat_at INTEGER NOT NULL);
`;

/**
 * Indexes of earlier versions that the writes no longer keep, dropped when a file that
 * still has them opens (every open checks: a file an older version opened again gets
 * them back, and loses them again here).
 */
const RETIRED_INDEXES = ['job_status_jobs_updated', 'job_status_events_job'];

/**
 * Brings a file of any version to this schema, in one transaction. The first open of a
 * file made before the update-time index held finished jobs only builds that index (about
 * 5 s per million jobs).
 */
export function applySchema(db: Database.Database) {
  db.transaction(() => {
    for (const index of RETIRED_INDEXES) db.exec(`DROP INDEX IF EXISTS ${index}`);
    db.exec(SCHEMA);
  })();
}

export const JOB_COLUMNS = [
  'job_id', 'kind', 'target', 'label', 'state', 'phase', 'progress', 'message', 'error', 'created_at',
  'started_at', 'finished_at', 'updated_at', 'seq', 'has_logs', 'actor', 'input', 'idempotency_key', 'owner', 'result',
] as const;

/** A job as its row: JSON columns as text, `has_logs` as 0 or 1. */
export type JobRow = Record<(typeof JOB_COLUMNS)[number], string | number | null>;

/**
 * A job row as one JSON array, built by SQLite: reading one text and parsing it costs a
 * fraction of reading twenty columns into an object (the hot path of polling). The JSON
 * columns go in as JSON, except `input` and `result`, which stay text: their absence
 * (NULL) and a stored `null` mean different things.
 */
const JOB_JSON = `json_array(${JOB_COLUMNS.map((c) => (c === 'progress' || c === 'error' ? `json(${c})` : c)).join(', ')})`;

/** The job of a {@link JOB_JSON} array; the same as `jobFromRow` of its row. */
export function jobFromJson(a: unknown[]): StoredJob {
  const job: StoredJob = {
    job_id: a[0] as string,
    kind: a[1] as string,
    target: a[2] as string | null,
    label: a[3] as string,
    state: a[4] as StoredJob['state'],
    phase: a[5] as string | null,
    progress: a[6] as StoredJob['progress'],
    message: a[7] as string | null,
    error: a[8] as StoredJob['error'],
    created_at: a[9] as string,
    started_at: a[10] as string | null,
    finished_at: a[11] as string | null,
    updated_at: a[12] as string,
    seq: a[13] as number,
    has_logs: a[14] === 1,
    actor: a[15] as string | null,
    input: a[16] === null ? undefined : JSON.parse(a[16] as string),
    idempotency_key: a[17] as string | null,
    owner: a[18] as string | null,
  };
  if (a[19] !== null) job.result = JSON.parse(a[19] as string);
  return job;
}

/** The row of a job, serialized now: a job that cannot be written fails its own save and nobody else's. */
export function toRow(job: StoredJob): JobRow {
  // Column by column, not a spread of the job: one shape for every row, and an eighth of the cost.
  return {
    job_id: job.job_id,
    kind: job.kind,
    target: job.target,
    label: job.label,
    state: job.state,
    phase: job.phase,
    progress: job.progress ? JSON.stringify(job.progress) : null,
    message: job.message,
    error: job.error ? JSON.stringify(job.error) : null,
    created_at: job.created_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
    updated_at: job.updated_at,
    seq: job.seq,
    has_logs: job.has_logs ? 1 : 0,
    actor: job.actor,
    input: job.input === undefined ? null : JSON.stringify(job.input),
    idempotency_key: job.idempotency_key,
    owner: job.owner,
    result: job.result === undefined ? null : JSON.stringify(job.result),
  };
}

/** The statements the store runs, prepared once per open file. */
export type SqliteStatements = Record<
  | 'upsertJob' | 'insertEvent' | 'insertLog' | 'getJob' | 'getMany' | 'stateOf' | 'beat' | 'release' | 'liveOwners'
  | 'claim' | 'getByKey' | 'busy' | 'logs' | 'events' | 'getMeta' | 'setMeta',
  Database.Statement
>;

export function prepareStatements(db: Database.Database): SqliteStatements {
  const placeholders = JOB_COLUMNS.map((c) => `@${c}`).join(', ');
  const updates = JOB_COLUMNS.filter((c) => c !== 'job_id').map((c) => `${c} = excluded.${c}`).join(', ');
  return {
    upsertJob: db.prepare(
      `INSERT INTO job_status_jobs (${JOB_COLUMNS.join(', ')}) VALUES (${placeholders})
       ON CONFLICT (job_id) DO UPDATE SET ${updates}`,
    ),
    insertEvent: db.prepare('INSERT INTO job_status_events (seq, job_id, data) VALUES (?, ?, ?)'),
    insertLog: db.prepare('INSERT OR IGNORE INTO job_status_logs (job_id, seq, ts, level, message) VALUES (?, ?, ?, ?, ?)'),
    getJob: db.prepare(`SELECT ${JOB_JSON} FROM job_status_jobs WHERE job_id = ?`).pluck(),
    getMany: db.prepare(`SELECT json_group_array(${JOB_JSON}) FROM job_status_jobs WHERE job_id IN (SELECT value FROM json_each(?))`).pluck(),
    stateOf: db.prepare('SELECT job_id, state, owner FROM job_status_jobs WHERE job_id = ?'),
    beat: db.prepare('INSERT INTO job_status_owners (owner, beat_at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET beat_at = excluded.beat_at'),
    release: db.prepare('DELETE FROM job_status_owners WHERE owner = ?'),
    liveOwners: db.prepare('SELECT owner FROM job_status_owners WHERE beat_at >= ?'),
    claim: db.prepare(
      `UPDATE job_status_jobs SET owner = @owner
       WHERE job_id = @id AND state IN ('queued', 'running')
         AND (owner IS NULL OR owner = @owner OR NOT EXISTS (
           SELECT 1 FROM job_status_owners o WHERE o.owner = job_status_jobs.owner AND o.beat_at >= @since))
       RETURNING *`,
    ),
    getByKey: db.prepare('SELECT * FROM job_status_jobs WHERE idempotency_key = ?'),
    busy: db.prepare("SELECT * FROM job_status_jobs WHERE state IN ('queued', 'running') ORDER BY created_at"),
    logs: db.prepare('SELECT seq, ts, level, message FROM job_status_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
    events: db.prepare('SELECT seq, data FROM job_status_events WHERE seq > ? ORDER BY seq LIMIT ?'),
    getMeta: db.prepare('SELECT value FROM job_status_meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO job_status_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
}
