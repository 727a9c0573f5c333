import Database from 'better-sqlite3';
import { jobFromRow } from './job-row.js';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { pageOf } from './cursor.js';
import { publicSnapshot, refusal } from './store.js';
import type { JobStore, ListPage, ListQuery, PruneOptions, StoredJob, UnnumberedJob } from './store.js';
import { EventNumbering } from './sqlite/event-numbering.js';
import { FinishedJobs } from './sqlite/finished-jobs.js';
import { listStatement } from './sqlite/list-query.js';
import { applySchema, jobFromJson, prepareStatements, toRow } from './sqlite/schema.js';
import type { JobRow, SqliteStatements } from './sqlite/schema.js';
import { takeSingleProcessLock } from './sqlite/single-process-lock.js';
import { WriteBuffer } from './sqlite/write-buffer.js';

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

/** Finished jobs kept in memory for reads (about 1 KB each). */
const FINISHED_KEPT = 2000;
/** History statements kept prepared at most (each filter's number of values makes a new one). */
const MAX_PAGE_STATEMENTS = 64;

/** Heartbeats of owners silent this long are deleted by `prune` (they are long dead). */
const FORGET_OWNERS_MS = 24 * 60 * 60_000;

/**
 * Composes the file's pieces: the schema and its statements (`sqlite/schema.ts`), the
 * write buffer with its retry (`sqlite/write-buffer.ts`), the event numbering and epoch
 * (`sqlite/event-numbering.ts`) and the single-process lock (`sqlite/single-process-lock.ts`).
 */
class SqliteStore implements JobStore {
  /** One process writes the file. */
  readonly exclusive = true;
  readonly #path: string;
  #db: Database.Database | null = null;
  #epoch = '';
  readonly #numbers = new EventNumbering();
  /** Kept across a close that could not write everything: a later open writes it. */
  readonly #writes: WriteBuffer;
  /** Held while open: tells a second process that this file is taken. */
  #lock: Database.Database | null = null;
  #statements!: SqliteStatements;
  /** Finished jobs as the file holds them: they never change, so polls of them skip the file. */
  readonly #finished = new FinishedJobs(FINISHED_KEPT);
  /** History statements by their SQL, prepared once per open file (a page sorted by update is a compound SELECT, slow to prepare). */
  #pages = new Map<string, Database.Statement>();

  constructor(path: string, coalesceMs: number) {
    this.#path = path;
    this.#writes = new WriteBuffer(coalesceMs);
  }

  async open() {
    if (this.#db) return { epoch: this.#epoch };
    const lock = this.#path === ':memory:' || this.#path === '' ? null : takeSingleProcessLock(this.#path);
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
    applySchema(db);
    this.#statements = prepareStatements(db);
    this.#pages = new Map();
    this.#writes.attach(db, this.#statements);
    this.#epoch = this.#numbers.open(db, this.#statements);
    return { epoch: this.#epoch };
  }

  get #database(): Database.Database {
    if (!this.#db) throw new Error('job-status: the SQLite store is not open (or was closed)');
    return this.#db;
  }

  async save(job: UnnumberedJob, { durable }: { durable: boolean }): Promise<StoredJob> {
    this.#database;
    this.#writes.retryFailed();
    const current =
      this.#writes.known(job.job_id) ??
      (this.#statements.stateOf.get(job.job_id) as Pick<StoredJob, 'job_id' | 'state' | 'owner'> | undefined);
    const refused = refusal(current, job);
    if (refused) throw refused;
    const stored: StoredJob = { ...job, seq: this.#numbers.next };
    // Serialized now, so a job that cannot be written fails its own save and nobody else's.
    const row = toRow(stored);
    const event = { seq: stored.seq, job_id: stored.job_id, data: JSON.stringify(publicSnapshot(stored)) };
    this.#numbers.take(stored.seq);
    this.#writes.save(stored, row, event, durable);
    return stored;
  }

  async get(jobId: string) {
    return this.getNow(jobId);
  }

  getNow(jobId: string) {
    const pending = this.#writes.waiting(jobId);
    if (pending) return pending;
    const finished = this.#finished.get(jobId);
    if (finished) return finished;
    const json = this.#statements.getJob.get(jobId) as string | undefined;
    return json === undefined ? null : this.#finished.remember(jobFromJson(JSON.parse(json) as unknown[]));
  }

  async getMany(jobIds: readonly string[]) {
    this.#writes.flushQuietly();
    const jobs: StoredJob[] = [];
    const unread: string[] = [];
    for (const id of jobIds) {
      const finished = this.#finished.get(id);
      if (finished) jobs.push(finished);
      else unread.push(id);
    }
    if (!unread.length) return jobs;
    // One prepared statement for any number of ids: a poll of 20 jobs is the hot path.
    const rows = JSON.parse(this.#statements.getMany.get(JSON.stringify(unread)) as string) as unknown[][];
    // While writes fail, saves still waiting are newer than the disk.
    for (const row of rows) jobs.push(this.#writes.waiting(row[0] as string) ?? this.#finished.remember(jobFromJson(row)));
    return jobs;
  }

  async findByIdempotencyKey(key: string) {
    this.#writes.flushQuietly();
    const row = this.#statements.getByKey.get(key) as JobRow | undefined;
    return row ? jobFromRow(row) : null;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const db = this.#database;
    this.#writes.flushQuietly();
    const { sql, params } = listStatement(query);
    let statement = this.#pages.get(sql);
    if (!statement) {
      // Filters of any length make any number of shapes: keep the recent ones.
      if (this.#pages.size >= MAX_PAGE_STATEMENTS) this.#pages.clear();
      statement = db.prepare(sql);
      this.#pages.set(sql, statement);
    }
    const rows = statement.all(...params) as JobRow[];
    return pageOf(rows.map(jobFromRow), query);
  }

  async listBusy() {
    this.#writes.flushQuietly();
    return (this.#statements.busy.all() as JobRow[]).map(jobFromRow);
  }

  async appendLog(jobId: string, line: JobLogLine) {
    this.#database;
    this.#writes.retryFailed();
    this.#writes.appendLog(jobId, line);
  }

  async readLogs(jobId: string, after: number, limit: number) {
    this.#writes.flushQuietly();
    const lines = this.#statements.logs.all(jobId, after, limit) as JobLogLine[];
    // Lines still waiting (the disk is full, say) come after those on disk: read them too.
    const waiting = this.#writes.waitingLines(jobId, after);
    return [...lines, ...waiting].slice(0, limit);
  }

  async head() {
    return this.#numbers.head;
  }

  async readEvents(after: number, limit: number) {
    this.#writes.flushQuietly();
    if (after < this.#numbers.prunedThrough || after > this.#numbers.head) return null;
    const rows = this.#statements.events.all(after, limit) as Array<{ seq: number; data: string }>;
    // Events still waiting to be written follow those on disk: a resume must not skip them.
    const waiting = this.#writes.waitingEvents(after);
    return [...rows, ...waiting].slice(0, limit).map((row) => ({ seq: row.seq, snapshot: JSON.parse(row.data) as JobSnapshot }));
  }

  async prune({ finishedBefore, maxEvents }: PruneOptions) {
    this.#writes.flushQuietly();
    const db = this.#database;
    return db.transaction(() => {
      const cutoff = finishedBefore.toISOString();
      this.#finished.prune(cutoff);
      const gone = 'SELECT job_id FROM job_status_jobs WHERE finished_at IS NOT NULL AND finished_at < ?';
      // Every event of a job is numbered at most its row's `seq` (the row is written with
      // its newest event): the events to remove lie in the log up to the highest of those,
      // read by number (the log keeps no index on job_id, which each save would pay for).
      const top = (db.prepare(`SELECT MAX(seq) FROM job_status_jobs WHERE finished_at IS NOT NULL AND finished_at < ?`).pluck().get(cutoff) as number | null) ?? 0;
      const removedMax = Number(
        (db.prepare(`SELECT MAX(seq) AS s FROM job_status_events WHERE seq <= ? AND job_id IN (${gone})`).get(top, cutoff) as { s: number | null }).s ?? 0,
      );
      let events = db.prepare(`DELETE FROM job_status_events WHERE seq <= ? AND job_id IN (${gone})`).run(top, cutoff).changes;
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
      const through = Math.max(this.#numbers.prunedThrough, removedMax, capMax);
      if (through > this.#numbers.prunedThrough) {
        events += db.prepare('DELETE FROM job_status_events WHERE seq <= ?').run(through).changes;
        this.#numbers.pruned(through);
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
    this.#writes.flushQuietly();
    // The claim changes the row behind the copy this process keeps: the next save writes it whole.
    this.#writes.forget(jobId);
    const row = this.#statements.claim.get({ id: jobId, owner, since: Date.now() - lapseMs }) as JobRow | undefined;
    return row ? jobFromRow(row) : null;
  }

  async close() {
    if (!this.#db) return;
    const unwritten = this.#writes.unwritten;
    try {
      this.#writes.flush();
      this.#numbers.close();
    } catch (error) {
      // Left marked open: the next start takes it for a crash, starts a new epoch and recovers busy jobs.
      throw new Error(`job-status: closing ${this.#path} without writing ${unwritten.saves} saves and ${unwritten.lines} log lines: ${(error as Error).message}`);
    } finally {
      this.#writes.detach();
      this.#finished.clear();
      this.#pages.clear();
      this.#db.close();
      this.#db = null;
      this.#lock?.close();
      this.#lock = null;
    }
  }
}
