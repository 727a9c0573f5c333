import pg from 'pg';
import { jobFromRow } from './job-row.js';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { jsonLineLogger } from '../options.js';
import type { JobStatusLogger } from '../options.js';
import { SORT_COLUMNS, decodeCursor, pageOf } from './cursor.js';
import { newEpoch } from './epoch.js';
import { checkConnection, postgresName } from './postgres/connection.js';
import { migrate } from './postgres/migrations.js';
import { cleanJob, cleanText, statements, toParams } from './postgres/queries.js';
import { publicSnapshot, refusal } from './store.js';
import type { JobStore, ListPage, ListQuery, PruneOptions, StoredEvent, StoredJob, UnnumberedJob } from './store.js';

export interface PostgresStoreOptions {
  /** A `postgres://` URL. The store makes its own pool and ends it on `close()`. */
  connectionString?: string;
  /** A pool the app already has (give this or `connectionString`). The store never ends it. */
  pool?: pg.Pool;
  /**
   * The schema that holds the `job_status_*` tables; created when missing. Letters, digits
   * and `_`, starting with a letter or `_`. Default `public`.
   */
  schema?: string;
  /** Where errors of idle pooled connections go (a restarting server, for example). Default: JSON lines on stderr. */
  logger?: JobStatusLogger;
}

/**
 * The store for several instances: history, logs, the event log and owner heartbeats live
 * in PostgreSQL, so every instance answers the same history and `Last-Event-ID` means the
 * same thing on each of them. Events are numbered by one counter row in the database, so
 * the order in which events commit is the order of their numbers, and a reader that saw
 * event N has every event before N.
 *
 * Tables are created on `open()` (once, even when several instances start together) in
 * `schema`. Every save is committed before it resolves.
 *
 * @example
 * import { postgresStore } from '@job-status/hono/postgres'
 * const jobs = createJobStatus({ store: postgresStore({ connectionString: process.env.DATABASE_URL }), bus, authorize })
 */
export function postgresStore(options: PostgresStoreOptions): JobStore {
  checkConnection(options, 'postgresStore');
  return new PostgresStore(options, postgresName(options.schema ?? 'public', 'postgresStore', 'schema'));
}

interface JobRow {
  [column: string]: unknown;
  seq: string;
}

/** Heartbeats of owners silent this long are deleted by `prune` (they are long dead). */
const FORGET_OWNERS = "interval '1 day'";

class PostgresStore implements JobStore {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #schema: string;
  readonly #t: (table: string) => string;
  readonly #sql: ReturnType<typeof statements>;
  #opening: Promise<{ epoch: string }> | null = null;
  #closed = false;

  constructor(options: PostgresStoreOptions, schema: string) {
    this.#ownsPool = !options.pool;
    this.#pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
    if (this.#ownsPool) {
      // An idle connection that breaks (a restarting server) must not crash the process.
      const logger = options.logger ?? jsonLineLogger;
      this.#pool.on('error', (error) => logger.error({ err: error.message }, 'job-status: a pooled Postgres connection failed'));
    }
    this.#schema = schema;
    const quoted = `"${schema}"`;
    this.#t = (table) => `${quoted}.job_status_${table}`;
    this.#sql = statements(this.#t);
  }

  open() {
    return (this.#opening ??= migrate(this.#pool, this.#schema, `"${this.#schema}"`, newEpoch).then(
      (epoch) => ({ epoch }),
      (error: unknown) => {
        // Unreachable for now: the next call tries again.
        this.#opening = null;
        throw error;
      },
    ));
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
    if (this.#closed) throw new Error('job-status: the Postgres store is closed');
    return this.#pool.query<R>(text, values);
  }

  async save(job: UnnumberedJob): Promise<StoredJob> {
    const clean = cleanJob(job);
    const data = JSON.stringify(publicSnapshot({ ...clean, seq: 0 }));
    const { rows } = await this.#query<{ seq: string | null; state: string | null; owner: string | null }>(this.#sql.save, [...toParams(clean), data]);
    const row = rows[0]!;
    if (row.seq === null) {
      throw refusal({ job_id: job.job_id, state: (row.state ?? 'failed') as StoredJob['state'], owner: row.owner }, clean) ?? new Error(`job-status: job ${job.job_id} was not saved`);
    }
    return { ...clean, seq: Number(row.seq) };
  }

  async get(jobId: string) {
    const { rows } = await this.#query<JobRow>(`SELECT * FROM ${this.#t('jobs')} WHERE job_id = $1`, [jobId]);
    return rows[0] ? jobFromRow(rows[0]) : null;
  }

  async getMany(jobIds: readonly string[]) {
    if (!jobIds.length) return [];
    const { rows } = await this.#query<JobRow>(`SELECT * FROM ${this.#t('jobs')} WHERE job_id = ANY($1::text[])`, [jobIds]);
    return rows.map(jobFromRow);
  }

  async findByIdempotencyKey(key: string) {
    const { rows } = await this.#query<JobRow>(`SELECT * FROM ${this.#t('jobs')} WHERE idempotency_key = $1`, [key]);
    return rows[0] ? jobFromRow(rows[0]) : null;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const { column, descending } = SORT_COLUMNS[query.sort];
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (query.states?.length) where.push(`state = ANY(${param(query.states)}::text[])`);
    if (query.kinds?.length) where.push(`kind = ANY(${param(query.kinds)}::text[])`);
    if (query.targets?.length) where.push(`target = ANY(${param(query.targets)}::text[])`);
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    if (cursor) {
      const op = descending ? '<' : '>';
      const at = param(cursor.at);
      where.push(`(${column} ${op} ${at} OR (${column} = ${at} AND job_id ${op} ${param(cursor.id)}))`);
    }
    const order = descending ? 'DESC' : 'ASC';
    const { rows } = await this.#query<JobRow>(
      `SELECT * FROM ${this.#t('jobs')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${column} ${order}, job_id ${order} LIMIT ${param(query.limit + 1)}`,
      params,
    );
    return pageOf(rows.map(jobFromRow), query);
  }

  async listBusy() {
    const { rows } = await this.#query<JobRow>(
      `SELECT * FROM ${this.#t('jobs')} WHERE state IN ('queued', 'running') ORDER BY created_at, job_id`,
    );
    return rows.map(jobFromRow);
  }

  async appendLog(jobId: string, line: JobLogLine) {
    await this.#query(
      `INSERT INTO ${this.#t('logs')} (job_id, seq, ts, level, message) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [jobId, line.seq, line.ts, line.level, cleanText(line.message)],
    );
  }

  async readLogs(jobId: string, after: number, limit: number) {
    const { rows } = await this.#query<JobLogLine>(
      `SELECT seq, ts, level, message FROM ${this.#t('logs')} WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [jobId, after, limit],
    );
    return rows;
  }

  async head() {
    const { rows } = await this.#query<{ seq: string }>(`SELECT seq FROM ${this.#t('counter')} WHERE id = 1`);
    return Number(rows[0]!.seq);
  }

  async readEvents(after: number, limit: number): Promise<StoredEvent[] | null> {
    // One statement, one snapshot: the head, the pruning mark and the page agree.
    const { rows } = await this.#query<{ head: string; pruned: string; seq: string | null; data: string | null }>(this.#sql.readEvents, [after, limit]);
    const first = rows[0]!;
    if (after < Number(first.pruned) || after > Number(first.head)) return null;
    return rows.flatMap((row) => {
      if (row.seq === null || row.data === null) return [];
      const snapshot = JSON.parse(row.data) as JobSnapshot;
      snapshot.seq = Number(row.seq);
      return [{ seq: snapshot.seq, snapshot }];
    });
  }

  async prune({ finishedBefore, maxEvents }: PruneOptions) {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // One instance prunes at a time; the others skip this round.
      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`job-status:prune:${this.#schema}`]);
      if (!locked.rows[0]!.ok) {
        await client.query('ROLLBACK');
        return { jobs: 0, events: 0 };
      }
      const gone = await client.query<{ jobs: string; events: string; removed_max: string | null }>(this.#sql.pruneFinished, [finishedBefore.toISOString()]);
      const cap = await client.query<{ seq: string }>(`SELECT seq FROM ${this.#t('events')} ORDER BY seq DESC OFFSET $1 LIMIT 1`, [maxEvents]);
      const pruned = await client.query<{ value: string }>(`SELECT value FROM ${this.#t('meta')} WHERE key = 'pruned_through'`);
      const before = Number(pruned.rows[0]?.value ?? 0);
      // A resume point before any removed event can no longer be replayed in full.
      const through = Math.max(before, Number(gone.rows[0]!.removed_max ?? 0), Number(cap.rows[0]?.seq ?? 0));
      let events = Number(gone.rows[0]!.events);
      if (through > before) {
        events += (await client.query(`DELETE FROM ${this.#t('events')} WHERE seq <= $1`, [through])).rowCount ?? 0;
        await client.query(
          `INSERT INTO ${this.#t('meta')} (key, value) VALUES ('pruned_through', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [String(through)],
        );
      }
      await client.query(`DELETE FROM ${this.#t('owners')} WHERE beat_at < now() - ${FORGET_OWNERS}`);
      await client.query('COMMIT');
      return { jobs: Number(gone.rows[0]!.jobs), events };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async beat(owner: string) {
    await this.#query(
      `INSERT INTO ${this.#t('owners')} (owner, beat_at) VALUES ($1, now()) ON CONFLICT (owner) DO UPDATE SET beat_at = now()`,
      [owner],
    );
  }

  async release(owner: string) {
    await this.#query(`DELETE FROM ${this.#t('owners')} WHERE owner = $1`, [owner]);
  }

  async liveOwners(lapseMs: number) {
    const { rows } = await this.#query<{ owner: string }>(
      `SELECT owner FROM ${this.#t('owners')} WHERE beat_at >= now() - $1::double precision * interval '1 millisecond'`,
      [lapseMs],
    );
    return rows.map((row) => row.owner);
  }

  async claim(jobId: string, owner: string, lapseMs: number) {
    const { rows } = await this.#query<JobRow>(this.#sql.claim, [jobId, owner, lapseMs]);
    return rows[0] ? jobFromRow(rows[0]) : null;
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end();
  }
}
