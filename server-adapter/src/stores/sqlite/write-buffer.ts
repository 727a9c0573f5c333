import type Database from 'better-sqlite3';
import type { JobLogLine } from '@job-status/protocol';
import { TERMINAL_STATES } from '@job-status/protocol';
import type { StoredJob } from '../store.js';
import { JOB_COLUMNS } from './schema.js';
import type { JobRow, SqliteStatements } from './schema.js';

/** A numbered event waiting to be written, its snapshot as JSON. */
export interface PendingEvent {
  seq: number;
  job_id: string;
  data: string;
}

/**
 * The SQLite store's writes: saves, events and log lines wait here and are written
 * together in one transaction, at once or after `coalesceMs`. Writes that fail (a full
 * disk, an I/O error) are never lost silently and never thrown out of a timer: what is
 * waiting stays waiting, in order, and is written by the next successful try (retried
 * with backoff); the error goes to the caller that asked for the write.
 *
 * It also keeps the row on disk of each busy job this process wrote (it is the file's one
 * writer), so a save checks the job's state without a read and writes only the columns
 * that changed: a progress save then touches the row alone, no index (the schema keeps
 * none that a busy job's progress changes).
 */
export class WriteBuffer {
  readonly #coalesceMs: number;
  #db: Database.Database | null = null;
  #statements!: SqliteStatements;
  #writeAll!: () => void;
  /** Saves not yet written; each job with its row, made when it was saved. */
  #jobs = new Map<string, { job: StoredJob; row: JobRow }>();
  #events: PendingEvent[] = [];
  #logs: Array<[string, JobLogLine]> = [];
  /** The row on disk of each busy job; a finished job leaves the map (it never changes again). */
  readonly #written = new Map<string, JobRow>();
  /** UPDATE statements by the columns they set, made on first use. */
  readonly #updates = new Map<string, Database.Statement>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The last write failed: each write tries to flush first, and a timer retries with backoff. */
  #failing = false;
  #retries = 0;

  constructor(coalesceMs: number) {
    this.#coalesceMs = coalesceMs;
  }

  /** Writes to this file from now on (what is still pending from an earlier one goes there too). */
  attach(db: Database.Database, statements: SqliteStatements) {
    this.#db = db;
    this.#statements = statements;
    // Made once: better-sqlite3 wraps it per call otherwise.
    this.#writeAll = db.transaction(() => {
      for (const { row } of this.#jobs.values()) this.#writeRow(row);
      const { insertEvent, insertLog } = this.#statements;
      for (const event of this.#events) insertEvent.run(event.seq, event.job_id, event.data);
      for (const [jobId, line] of this.#logs) insertLog.run(jobId, line.seq, line.ts, line.level, line.message);
    });
  }

  /** Stops writing to the file (closing it); what could not be written stays pending. */
  detach() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#db = null;
    this.#written.clear();
    this.#updates.clear();
  }

  /** Saves and log lines waiting to be written. */
  get unwritten() {
    return { saves: this.#events.length, lines: this.#logs.length };
  }

  /** The job's newest state this process knows without a read: waiting, or as last written. */
  known(jobId: string): Pick<StoredJob, 'job_id' | 'state' | 'owner'> | undefined {
    return this.#jobs.get(jobId)?.job ?? (this.#written.get(jobId) as Pick<StoredJob, 'job_id' | 'state' | 'owner'> | undefined);
  }

  /** The job's save still waiting to be written, newer than the disk. */
  waiting(jobId: string): StoredJob | undefined {
    return this.#jobs.get(jobId)?.job;
  }

  /** Log lines of a job with `seq > after` still waiting to be written. */
  waitingLines(jobId: string, after: number): JobLogLine[] {
    return this.#logs.filter(([id, line]) => id === jobId && line.seq > after).map(([, line]) => line);
  }

  /** Events with `seq > after` still waiting to be written. */
  waitingEvents(after: number): PendingEvent[] {
    return this.#events.filter((event) => event.seq > after);
  }

  /** A claim changed the row behind the copy kept here: the next save writes it whole. */
  forget(jobId: string) {
    this.#written.delete(jobId);
  }

  /**
   * Adds a numbered save and its event; written at once when `durable` (or nothing is
   * coalesced), else within `coalesceMs`. A save written at once that fails is taken back
   * out (the caller retries it) and what was waiting before it stays.
   */
  save(job: StoredJob, row: JobRow, event: PendingEvent, durable: boolean) {
    const before = this.#jobs.get(job.job_id);
    this.#jobs.set(job.job_id, { job, row });
    this.#events.push(event);
    if (!durable && this.#coalesceMs > 0) return this.#schedule(this.#coalesceMs);
    try {
      this.flush();
    } catch (error) {
      if (before) this.#jobs.set(job.job_id, before);
      else this.#jobs.delete(job.job_id);
      this.#events = this.#events.filter((pending) => pending !== event);
      throw error;
    }
  }

  /** Adds a log line, written like a save that is not durable. */
  appendLog(jobId: string, line: JobLogLine) {
    const entry: [string, JobLogLine] = [jobId, line];
    this.#logs.push(entry);
    if (this.#coalesceMs > 0) return this.#schedule(this.#coalesceMs);
    try {
      this.flush();
    } catch (error) {
      this.#logs = this.#logs.filter((pending) => pending !== entry);
      throw error;
    }
  }

  /** After a failed write, tries again first: a new write must not jump the queue (throws while it still fails). */
  retryFailed() {
    if (this.#failing) this.flush();
  }

  #schedule(ms: number) {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.flushQuietly();
    }, ms);
  }

  /**
   * Writes every pending save, event and log line in one transaction. When it fails,
   * nothing is dropped: all of it stays pending, in order, for the next try, and the error
   * goes to the caller.
   */
  flush() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#jobs.size && !this.#events.length && !this.#logs.length) return;
    if (!this.#db) throw new Error('job-status: the SQLite store is not open (or was closed)');
    try {
      this.#writeAll();
    } catch (error) {
      this.#failing = true;
      this.#schedule(Math.min(500 * 2 ** this.#retries++, 30_000));
      throw error;
    }
    for (const { job, row } of this.#jobs.values()) {
      if (TERMINAL_STATES.has(job.state)) this.#written.delete(job.job_id);
      else this.#written.set(job.job_id, row);
    }
    this.#jobs = new Map();
    this.#events = [];
    this.#logs = [];
    this.#failing = false;
    this.#retries = 0;
  }

  /** Flushes if it can: a read serves what is on disk (and pending saves) while writes fail. */
  flushQuietly() {
    try {
      this.flush();
    } catch {
      // Kept pending and retried by the timer flush() set; the writers see the error on their next write.
    }
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
        update = this.#db!.prepare(`UPDATE job_status_jobs SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE job_id = ?`);
        this.#updates.set(key, update);
      }
      if (update.run(...values, row.job_id).changes === 1) return;
    }
    this.#statements.upsertJob.run(row);
  }
}
