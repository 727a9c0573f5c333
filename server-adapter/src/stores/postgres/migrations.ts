import type pg from 'pg';

/**
 * The schema, one step per version. A step runs once per schema, inside the transaction
 * that records it; steps are never edited once released, only appended.
 *
 * Times are ISO 8601 text in the "C" collation so that history pages and cursors compare
 * exactly as the SQLite and memory stores do; JSON columns are text so that every store
 * gives back exactly what it was given.
 */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: (s: string) => string }> = [
  {
    version: 1,
    sql: (s) => `
CREATE TABLE ${s}.job_status_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE ${s}.job_status_counter (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL);
INSERT INTO ${s}.job_status_counter (id, seq) VALUES (1, 0);
CREATE TABLE ${s}.job_status_jobs (
  job_id text COLLATE "C" PRIMARY KEY,
  kind text NOT NULL,
  target text,
  label text NOT NULL,
  state text NOT NULL,
  phase text,
  progress text,
  message text,
  error text,
  created_at text COLLATE "C" NOT NULL,
  started_at text,
  finished_at text COLLATE "C",
  updated_at text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  has_logs boolean NOT NULL,
  actor text,
  input text,
  idempotency_key text UNIQUE,
  owner text,
  result text
);
CREATE INDEX job_status_jobs_created ON ${s}.job_status_jobs (created_at, job_id);
CREATE INDEX job_status_jobs_updated ON ${s}.job_status_jobs (updated_at, job_id);
CREATE INDEX job_status_jobs_kind ON ${s}.job_status_jobs (kind, target, created_at, job_id);
CREATE INDEX job_status_jobs_state ON ${s}.job_status_jobs (state, created_at, job_id);
CREATE INDEX job_status_jobs_finished ON ${s}.job_status_jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE ${s}.job_status_logs (
  job_id text NOT NULL,
  seq integer NOT NULL,
  ts text NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (job_id, seq)
);
CREATE TABLE ${s}.job_status_events (seq bigint PRIMARY KEY, job_id text NOT NULL, data text NOT NULL);
CREATE INDEX job_status_events_job ON ${s}.job_status_events (job_id);
CREATE TABLE ${s}.job_status_owners (owner text PRIMARY KEY, beat_at timestamptz NOT NULL);
`,
  },
  {
    // History filtered by kind alone, or by target alone, without sorting every match.
    version: 2,
    sql: (s) => `
CREATE INDEX job_status_jobs_kind_created ON ${s}.job_status_jobs (kind, created_at, job_id);
CREATE INDEX job_status_jobs_target ON ${s}.job_status_jobs (target, created_at, job_id);
`,
  },
];

/**
 * Brings the schema up to date and returns the event log's epoch. Several instances may
 * call this at the same moment: a transaction-scoped advisory lock (keyed by the schema
 * name) lets one migrate while the others wait, then find nothing left to do.
 */
export async function migrate(pool: pg.Pool, schema: string, quoted: string, newEpoch: () => string): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`job-status:migrate:${schema}`]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!exists.rowCount) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.job_status_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${quoted}.job_status_migrations`)).rows.map((row) => row.version),
    );
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql(quoted));
      await client.query(`INSERT INTO ${quoted}.job_status_migrations (version) VALUES ($1)`, [migration.version]);
    }
    await client.query(`INSERT INTO ${quoted}.job_status_meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING`, [newEpoch()]);
    const epoch = (await client.query<{ value: string }>(`SELECT value FROM ${quoted}.job_status_meta WHERE key = 'epoch'`)).rows[0]!.value;
    await client.query('COMMIT');
    return epoch;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
