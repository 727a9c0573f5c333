import Database from 'better-sqlite3';
import { jobFromRow } from './job-row.js';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { SORT_COLUMNS, decodeCursor, pageOf } from './cursor.js';
import { newEpoch } from './epoch.js';
import { TERMINAL_STATES } from '@job-status/protocol';
import { publicSnapshot, refusal } from './store.js';
import type { JobStore, ListPage, ListQuery, PruneOptions, StoredEvent, StoredJob, UnnumberedJob } from './store.js';

/** Event numbers reserved on disk at a time (one small write per this many events). */
const SEQ_BLOCK = 1000;

export interface SqliteStoreOptions {
  /** Database file. Its folder must exist. `:memory:` works for tests. */
  path: string;
  /**
   * Non-durable saves (progress, phase) of one job are written at most once per this
   * many milliseconds; creation, start and terminal states are always written at once.
   * 0 writes every save at once. Default 250.
   */
  coalesceMs?: number;
}

/**
 * The embedded default store: one SQLite file (WAL mode) that keeps history, logs and
 * the event log across restarts. One process uses it: a second process that opens the
 * same file is refused (it holds a lock on `<path>-lock` for as long as it is open; the
 * system frees it when the process dies), so it keeps retrying and serves 503 until the
 * first one stops. For several instances use the Postgres store.
 *
 * Writes that fail (a full disk, an I/O error) are never lost silently and never thrown
 * out of a timer: what is waiting stays waiting, in order, and is written by the next
 * successful try (retried with backoff); a save that must be durable rejects so that its
 * caller retries it.
 *
 * @example
 * import { sqliteStore } from '@job-status/hono/sqlite'
 * const jobs = createJobStatus({ store: sqliteStore({ path: './data/jobs.db' }), authorize })
 */
export function sqliteStore(options: SqliteStoreOptions): JobStore {
  if (!options || typeof options.path !== 'string' || !options.path) {
    throw new TypeError('job-status: sqliteStore needs a `path`');
  }
  return new SqliteStore(options.path, options.coalesceMs ?? 250);
}

const SCHEMA = `
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
CREATE INDEX IF NOT EXISTS job_status_jobs_updated ON job_status_jobs (updated_at, job_id);
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
CREATE INDEX IF NOT EXISTS job_status_events_job ON job_status_events (job_id);
CREATE TABLE IF NOT EXISTS job_status_owners (owner TEXT PRIMARY KEY, beat_at INTEGER NOT NULL);
`;

/** Heartbeats of owners silent this long are deleted by `prune` (they are long dead). */
const FORGET_OWNERS_MS = 24 * 60 * 60_000;

const JOB_COLUMNS = [
  'job_id', 'kind', 'target', 'label', 'state', 'phase', 'progress', 'message', 'error', 'created_at',
  'started_at', 'finished_at', 'updated_at', 'seq', 'has_logs', 'actor', 'input', 'idempotency_key', 'owner', 'result',
] as const;

type JobRow = Record<(typeof JOB_COLUMNS)[number], string | number | null>;

/**
 * A job row as one JSON array, built by SQLite: reading one text and parsing it costs a
 * fraction of reading twenty columns into an object (the hot path of polling). The JSON
 * columns go in as JSON, except `input` and `result`, which stay text: their absence
 * (NULL) and a stored `null` mean different things.
 */
const JOB_JSON = `json_array(${JOB_COLUMNS.map((c) => (c === 'progress' || c === 'error' ? `json(${c})` : c)).join(', ')})`;

/** The job of a {@link JOB_JSON} array; the same as `jobFromRow` of its row. */
function jobFromJson(a: unknown[]): StoredJob {
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

class SqliteStore implements JobStore {
  /** One process writes the file. */
  readonly exclusive = true;
  readonly #path: string;
  readonly #coalesceMs: number;
  #db: Database.Database | null = null;
  #seq = 0;
  /** Numbers up to here may have reached streams; a restart after a crash numbers from above it. */
  #reserved = 0;
  #prunedThrough = 0;
  #epoch = '';
  /** Saves and log lines not yet written, flushed together in one transaction; each job with its row, made when it was saved. */
  #pendingJobs = new Map<string, { job: StoredJob; row: JobRow }>();
  #pendingEvents: Array<{ seq: number; job_id: string; data: string }> = [];
  #pendingLogs: Array<[string, JobLogLine]> = [];
  /**
   * The row on disk of each busy job this process wrote (it is the file's one writer), so
   * a save checks the job's state without a read, and writes only the columns that
   * changed: a progress save then touches the row and one index (`updated_at`), not all
   * seven. A finished job leaves the map (it never changes again); a claim drops its entry.
   */
  #written = new Map<string, JobRow>();
  /** UPDATE statements by the columns they set, made on first use. */
  #updates = new Map<string, Database.Statement>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The last write failed: each write tries to flush first, and a timer retries with backoff. */
  #failing = false;
  #retries = 0;
  /** Held while open: tells a second process that this file is taken. */
  #lock: Database.Database | null = null;
  #statements!: ReturnType<SqliteStore['prepare']>;

  constructor(path: string, coalesceMs: number) {
    this.#path = path;
    this.#coalesceMs = coalesceMs;
  }

  async open() {
    if (this.#db) return { epoch: this.#epoch };
    const lock = this.#path === ':memory:' || this.#path === '' ? null : takeLock(this.#path);
    try {
      const opened = this.#openFile();
      this.#lock = lock;
      return opened;
    } catch (error) {
      // A full disk or a bad file: release everything, so the next try starts clean.
      (this.#db as Database.Database | null)?.close();
      this.#db = null;
      lock?.close();
      throw error;
    }
  }

  #openFile() {
    const db = (this.#db = new Database(this.#path));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    this.#db = db;
    this.#statements = this.prepare(db);
    const meta = (key: string) =>
      (db.prepare('SELECT value FROM job_status_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    // Coalesced events reach streams before they reach the disk. After a crash, numbers
    // that clients already hold may be handed out again for other events, so a process
    // that did not close cleanly starts a new epoch: every old resume point resyncs.
    const crashed = meta('open') === '1';
    this.#epoch = crashed ? newEpoch() : (meta('epoch') ?? newEpoch());
    this.#statements.setMeta.run('epoch', this.#epoch);
    this.#statements.setMeta.run('open', '1');
    this.#prunedThrough = Number(meta('pruned_through') ?? 0);
    const maxSeq = (sql: string) => Number((db.prepare(sql).get() as { s: number | null }).s ?? 0);
    // After a crash, numbers up to the reservation may be held by clients without being on
    // disk: start above them, so a job's seq only ever grows, across epochs too.
    this.#reserved = Number(meta('seq_reserved') ?? 0);
    this.#seq = Math.max(
      this.#prunedThrough,
      crashed ? this.#reserved : 0,
      maxSeq('SELECT MAX(seq) AS s FROM job_status_events'),
      maxSeq('SELECT MAX(seq) AS s FROM job_status_jobs'),
    );
    return { epoch: this.#epoch };
  }

  private prepare(db: Database.Database) {
    const placeholders = JOB_COLUMNS.map((c) => `@${c}`).join(', ');
    const updates = JOB_COLUMNS.filter((c) => c !== 'job_id').map((c) => `${c} = excluded.${c}`).join(', ');
    return {
      upsertJob: db.prepare(
        `INSERT INTO job_status_jobs (${JOB_COLUMNS.join(', ')}) VALUES (${placeholders})
         ON CONFLICT (job_id) DO UPDATE SET ${updates}`,
      ),
      insertEvent: db.prepare('INSERT INTO job_status_events (seq, job_id, data) VALUES (?, ?, ?)'),
      insertLog: db.prepare('INSERT OR IGNORE INTO job_status_logs (job_id, seq, ts, level, message) VALUES (?, ?, ?, ?, ?)'),
      /** Writes what is pending, in one transaction (made once: better-sqlite3 wraps it per call otherwise). */
      writeAll: db.transaction(() => {
        for (const { row } of this.#pendingJobs.values()) this.#writeRow(row);
        const { insertEvent, insertLog } = this.#statements;
        for (const event of this.#pendingEvents) insertEvent.run(event.seq, event.job_id, event.data);
        for (const [jobId, line] of this.#pendingLogs) insertLog.run(jobId, line.seq, line.ts, line.level, line.message);
      }),
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
      setMeta: db.prepare('INSERT INTO job_status_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
  }

  get #database(): Database.Database {
    if (!this.#db) throw new Error('job-status: the SQLite store is not open (or was closed)');
    return this.#db;
  }

  async save(job: UnnumberedJob, { durable }: { durable: boolean }): Promise<StoredJob> {
    this.#database;
    if (this.#failing) this.#flush();
    const before = this.#pendingJobs.get(job.job_id);
    const current =
      before?.job ??
      (this.#written.get(job.job_id) as Pick<StoredJob, 'job_id' | 'state' | 'owner'> | undefined) ??
      (this.#statements.stateOf.get(job.job_id) as Pick<StoredJob, 'job_id' | 'state' | 'owner'> | undefined);
    const refused = refusal(current, job);
    if (refused) throw refused;
    const stored: StoredJob = { ...job, seq: this.#seq + 1 };
    // Serialized now, so a job that cannot be written fails its own save and nobody else's.
    const row = toRow(stored);
    const event = { seq: stored.seq, job_id: stored.job_id, data: JSON.stringify(publicSnapshot(stored)) };
    this.#reserve(stored.seq);
    this.#seq = stored.seq;
    this.#pendingJobs.set(stored.job_id, { job: stored, row });
    this.#pendingEvents.push(event);
    if (durable || this.#coalesceMs === 0) {
      try {
        this.#flush();
      } catch (error) {
        // Not written: take it back out (the caller retries it), keep what was waiting before it.
        if (before) this.#pendingJobs.set(stored.job_id, before);
        else this.#pendingJobs.delete(stored.job_id);
        this.#pendingEvents = this.#pendingEvents.filter((pending) => pending !== event);
        throw error;
      }
    } else this.#schedule(this.#coalesceMs);
    return stored;
  }

  /**
   * Reserves event numbers on disk a block at a time, before any of them is handed out:
   * a coalesced event reaches streams before the disk does, so after a crash numbering
   * goes on above the reservation and a job's `seq` only ever grows.
   */
  #reserve(seq: number) {
    if (seq <= this.#reserved) return;
    this.#statements.setMeta.run('seq_reserved', String(seq + SEQ_BLOCK));
    this.#reserved = seq + SEQ_BLOCK;
  }

  #schedule(ms: number) {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#flushQuietly();
    }, ms);
  }

  /**
   * Writes every pending save, event and log line in one transaction. When it fails,
   * nothing is dropped: all of it stays pending, in order, for the next try, and the error
   * goes to the caller.
   */
  #flush() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#pendingJobs.size && !this.#pendingEvents.length && !this.#pendingLogs.length) return;
    this.#database;
    try {
      this.#statements.writeAll();
    } catch (error) {
      this.#failing = true;
      this.#schedule(Math.min(500 * 2 ** this.#retries++, 30_000));
      throw error;
    }
    for (const { job, row } of this.#pendingJobs.values()) {
      if (TERMINAL_STATES.has(job.state)) this.#written.delete(job.job_id);
      else this.#written.set(job.job_id, row);
    }
    this.#pendingJobs = new Map();
    this.#pendingEvents = [];
    this.#pendingLogs = [];
    this.#failing = false;
    this.#retries = 0;
  }

  /**
   * Writes one job row: only the columns that differ from the row on disk when this
   * process wrote it last, otherwise (or when that row is gone) the whole row.
   */
  #writeRow(row: JobRow) {
    const disk = this.#written.get(row.job_id as string);
    if (disk) {
      const columns: string[] = [];
      const values: Array<string | number | null> = [];
      for (const column of JOB_COLUMNS) {
        if (row[column] !== disk[column]) {
          columns.push(column);
          values.push(row[column]);
        }
      }
      if (!columns.length) return;
      const key = columns.join(',');
      let update = this.#updates.get(key);
      if (!update) {
        update = this.#database.prepare(`UPDATE job_status_jobs SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE job_id = ?`);
        this.#updates.set(key, update);
      }
      if (update.run(...values, row.job_id).changes === 1) return;
    }
    this.#statements.upsertJob.run(row);
  }

  /** Flushes if it can: a read serves what is on disk (and pending saves) while writes fail. */
  #flushQuietly() {
    try {
      this.#flush();
    } catch {
      // Kept pending and retried by the timer #flush set; the writers see the error on their next write.
    }
  }

  async get(jobId: string) {
    const pending = this.#pendingJobs.get(jobId);
    if (pending) return pending.job;
    const json = this.#statements.getJob.get(jobId) as string | undefined;
    return json === undefined ? null : jobFromJson(JSON.parse(json) as unknown[]);
  }

  async getMany(jobIds: readonly string[]) {
    this.#flushQuietly();
    if (!jobIds.length) return [];
    // One prepared statement for any number of ids: a poll of 20 jobs is the hot path.
    const rows = JSON.parse(this.#statements.getMany.get(JSON.stringify(jobIds)) as string) as unknown[][];
    // While writes fail, saves still waiting are newer than the disk.
    return rows.map((row) => this.#pendingJobs.get(row[0] as string)?.job ?? jobFromJson(row));
  }

  async findByIdempotencyKey(key: string) {
    this.#flushQuietly();
    const row = this.#statements.getByKey.get(key) as JobRow | undefined;
    return row ? jobFromRow(row) : null;
  }

  async list(query: ListQuery): Promise<ListPage> {
    this.#flushQuietly();
    const { column, descending } = SORT_COLUMNS[query.sort];
    const where: string[] = [];
    const params: unknown[] = [];
    const anyOf = (field: string, values: readonly string[] | undefined) => {
      if (!values?.length) return;
      where.push(`${field} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    anyOf('state', query.states);
    anyOf('kind', query.kinds);
    anyOf('target', query.targets);
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    if (cursor) {
      const op = descending ? '<' : '>';
      where.push(`(${column} ${op} ? OR (${column} = ? AND job_id ${op} ?))`);
      params.push(cursor.at, cursor.at, cursor.id);
    }
    const order = descending ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM job_status_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${column} ${order}, job_id ${order} LIMIT ?`;
    const rows = this.#database.prepare(sql).all(...params, query.limit + 1) as JobRow[];
    return pageOf(rows.map(jobFromRow), query);
  }

  async listBusy() {
    this.#flushQuietly();
    return (this.#statements.busy.all() as JobRow[]).map(jobFromRow);
  }

  async appendLog(jobId: string, line: JobLogLine) {
    this.#database;
    if (this.#failing) this.#flush();
    const entry: [string, JobLogLine] = [jobId, line];
    this.#pendingLogs.push(entry);
    if (this.#coalesceMs > 0) return this.#schedule(this.#coalesceMs);
    try {
      this.#flush();
    } catch (error) {
      this.#pendingLogs = this.#pendingLogs.filter((pending) => pending !== entry);
      throw error;
    }
  }

  async readLogs(jobId: string, after: number, limit: number) {
    this.#flushQuietly();
    const lines = this.#statements.logs.all(jobId, after, limit) as JobLogLine[];
    // Lines still waiting (the disk is full, say) come after those on disk: read them too.
    const waiting = this.#pendingLogs.filter(([id, line]) => id === jobId && line.seq > after).map(([, line]) => line);
    return [...lines, ...waiting].slice(0, limit);
  }

  async head() {
    return this.#seq;
  }

  async readEvents(after: number, limit: number) {
    this.#flushQuietly();
    if (after < this.#prunedThrough || after > this.#seq) return null;
    const rows = this.#statements.events.all(after, limit) as Array<{ seq: number; data: string }>;
    // Events still waiting to be written follow those on disk: a resume must not skip them.
    const waiting = this.#pendingEvents.filter((event) => event.seq > after);
    return [...rows, ...waiting].slice(0, limit).map((row) => ({ seq: row.seq, snapshot: JSON.parse(row.data) as JobSnapshot }));
  }

  async prune({ finishedBefore, maxEvents }: PruneOptions) {
    this.#flushQuietly();
    const db = this.#database;
    return db.transaction(() => {
      const cutoff = finishedBefore.toISOString();
      const gone = 'SELECT job_id FROM job_status_jobs WHERE finished_at IS NOT NULL AND finished_at < ?';
      const removedMax = Number(
        (db.prepare(`SELECT MAX(seq) AS s FROM job_status_events WHERE job_id IN (${gone})`).get(cutoff) as { s: number | null }).s ?? 0,
      );
      let events = db.prepare(`DELETE FROM job_status_events WHERE job_id IN (${gone})`).run(cutoff).changes;
      db.prepare(`DELETE FROM job_status_logs WHERE job_id IN (${gone})`).run(cutoff);
      const jobs = db.prepare('DELETE FROM job_status_jobs WHERE finished_at IS NOT NULL AND finished_at < ?').run(cutoff).changes;
      db.prepare('DELETE FROM job_status_owners WHERE beat_at < ?').run(Date.now() - FORGET_OWNERS_MS);
      const count = Number((db.prepare('SELECT COUNT(*) AS n FROM job_status_events').get() as { n: number }).n);
      let capMax = 0;
      if (count > maxEvents) {
        capMax = Number(
          (db.prepare('SELECT seq FROM job_status_events ORDER BY seq LIMIT 1 OFFSET ?').get(count - maxEvents - 1) as { seq: number }).seq,
        );
      }
      // A resume point before any removed event can no longer be replayed in full.
      const through = Math.max(this.#prunedThrough, removedMax, capMax);
      if (through > this.#prunedThrough) {
        events += db.prepare('DELETE FROM job_status_events WHERE seq <= ?').run(through).changes;
        this.#prunedThrough = through;
        this.#statements.setMeta.run('pruned_through', String(through));
      }
      return { jobs, events };
    })();
  }

  async beat(owner: string) {
    this.#database;
    this.#statements.beat.run(owner, Date.now());
  }

  async release(owner: string) {
    this.#database;
    this.#statements.release.run(owner);
  }

  async liveOwners(lapseMs: number) {
    this.#database;
    return (this.#statements.liveOwners.all(Date.now() - lapseMs) as Array<{ owner: string }>).map((row) => row.owner);
  }

  async claim(jobId: string, owner: string, lapseMs: number) {
    this.#flushQuietly();
    // The claim changes the row behind the copy this process keeps: the next save writes it whole.
    this.#written.delete(jobId);
    const row = this.#statements.claim.get({ id: jobId, owner, since: Date.now() - lapseMs }) as JobRow | undefined;
    return row ? jobFromRow(row) : null;
  }

  async close() {
    if (!this.#db) return;
    const unwritten = { saves: this.#pendingEvents.length, lines: this.#pendingLogs.length };
    try {
      this.#flush();
      this.#statements.setMeta.run('open', '0');
    } catch (error) {
      // Left marked open: the next start takes it for a crash, starts a new epoch and recovers busy jobs.
      throw new Error(`job-status: closing ${this.#path} without writing ${unwritten.saves} saves and ${unwritten.lines} log lines: ${(error as Error).message}`);
    } finally {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#db.close();
      this.#db = null;
      this.#written.clear();
      this.#updates.clear();
      this.#lock?.close();
      this.#lock = null;
    }
  }
}

function toRow(job: StoredJob): JobRow {
  return {
    ...job,
    progress: job.progress ? JSON.stringify(job.progress) : null,
    error: job.error ? JSON.stringify(job.error) : null,
    has_logs: job.has_logs ? 1 : 0,
    input: job.input === undefined ? null : JSON.stringify(job.input),
    result: job.result === undefined ? null : JSON.stringify(job.result),
  };
}

/**
 * Takes the file's lock: an exclusive SQLite lock on `<path>-lock`, held until `close()`
 * (or until the process dies: the system frees it). A lock file beside the database,
 * not the database itself, so read-only tools may still read it while it runs.
 */
function takeLock(path: string): Database.Database {
  const lock = new Database(`${path}-lock`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.pragma('journal_mode = MEMORY');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    lock.transaction(() => {
      lock.exec('DELETE FROM holder');
      lock.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    })();
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new Error(
      `job-status: another process has the SQLite file ${path} open, and one process per SQLite file is allowed; ` +
        'this one waits until it is free (its routes answer 503 meanwhile). To run several instances, use postgresStore().',
    );
  }
}
