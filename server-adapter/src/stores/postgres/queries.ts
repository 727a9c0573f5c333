import type { UnnumberedJob } from '../store.js';

/** The job columns a save writes, in the order of its parameters (`seq` is numbered by the database). */
const JOB_COLUMNS = [
  'job_id', 'kind', 'target', 'label', 'state', 'phase', 'progress', 'message', 'error', 'created_at',
  'started_at', 'finished_at', 'updated_at', 'has_logs', 'actor', 'input', 'idempotency_key', 'owner', 'result',
] as const;

/** The statements of the Postgres store that are more than one line, for the tables that `t` names. */
export function statements(t: (table: string) => string) {
  const columns = JOB_COLUMNS.join(', ');
  // INSERT … SELECT does not infer parameter types from the target columns: cast each.
  const values = JOB_COLUMNS.map((column, i) => `$${i + 1}::${column === 'has_logs' ? 'boolean' : 'text'}`).join(', ');
  const updates = [...JOB_COLUMNS.filter((c) => c !== 'job_id'), 'seq'].map((c) => `${c} = excluded.${c}`).join(', ');
  const dataParam = `$${JOB_COLUMNS.length + 1}`;
  const ownerParam = `$${JOB_COLUMNS.indexOf('owner') + 1}::text`;
  return {
    /**
     * Numbers, writes and logs a change in one statement. The counter row's lock is held
     * until commit, so events commit in the order of their numbers. A finished job, or
     * one another process claimed, is left alone (no number is taken, and the conflict
     * clause guards the race); the answer then carries its state and owner instead.
     */
    save: `
      WITH next AS (
        UPDATE ${t('counter')} SET seq = seq + 1
        WHERE id = 1 AND NOT EXISTS (
          SELECT 1 FROM ${t('jobs')} WHERE job_id = $1 AND (state NOT IN ('queued', 'running') OR owner IS DISTINCT FROM ${ownerParam}))
        RETURNING seq
      ),
      job AS (
        INSERT INTO ${t('jobs')} (${columns}, seq) SELECT ${values}, next.seq FROM next
        ON CONFLICT (job_id) DO UPDATE SET ${updates}
        WHERE ${t('jobs')}.state IN ('queued', 'running') AND ${t('jobs')}.owner IS NOT DISTINCT FROM excluded.owner
        RETURNING seq
      ),
      event AS (INSERT INTO ${t('events')} (seq, job_id, data) SELECT seq, $1, ${dataParam} FROM job RETURNING seq)
      SELECT (SELECT seq FROM job) AS seq, cur.state, cur.owner
      FROM (SELECT 1) one LEFT JOIN ${t('jobs')} cur ON cur.job_id = $1`,
    readEvents: `
      SELECT c.seq AS head, COALESCE((SELECT value FROM ${t('meta')} WHERE key = 'pruned_through'), '0') AS pruned, e.seq, e.data
      FROM ${t('counter')} c
      LEFT JOIN LATERAL (SELECT seq, data FROM ${t('events')} WHERE seq > $1 ORDER BY seq LIMIT $2) e ON true
      WHERE c.id = 1
      ORDER BY e.seq`,
    pruneFinished: `
      WITH gone AS (DELETE FROM ${t('jobs')} WHERE finished_at IS NOT NULL AND finished_at < $1 RETURNING job_id),
      removed AS (DELETE FROM ${t('events')} WHERE job_id IN (SELECT job_id FROM gone) RETURNING seq),
      logs AS (DELETE FROM ${t('logs')} WHERE job_id IN (SELECT job_id FROM gone) RETURNING 1)
      SELECT (SELECT count(*) FROM gone) AS jobs, (SELECT count(*) FROM removed) AS events, (SELECT max(seq) FROM removed) AS removed_max`,
    claim: `
      UPDATE ${t('jobs')} j SET owner = $2
      WHERE j.job_id = $1 AND j.state IN ('queued', 'running')
        AND (j.owner IS NULL OR j.owner = $2 OR NOT EXISTS (
          SELECT 1 FROM ${t('owners')} o WHERE o.owner = j.owner AND o.beat_at >= now() - $3::double precision * interval '1 millisecond'))
      RETURNING j.*`,
  };
}

/** Postgres text cannot hold U+0000; it becomes U+FFFD rather than failing the save. */
export function cleanText<T extends string | null>(value: T): T {
  return (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
}

export function cleanJob<T extends UnnumberedJob>(job: T): T {
  return {
    ...job,
    kind: cleanText(job.kind),
    target: cleanText(job.target),
    label: cleanText(job.label),
    phase: cleanText(job.phase),
    message: cleanText(job.message),
    actor: cleanText(job.actor),
    idempotency_key: cleanText(job.idempotency_key),
    owner: cleanText(job.owner),
  };
}

export function toParams(job: UnnumberedJob): unknown[] {
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  return JOB_COLUMNS.map((column) => {
    switch (column) {
      case 'progress':
      case 'error':
        return json(job[column]);
      case 'input':
      case 'result':
        // JSON text keeps `null` apart from "absent", and escapes what text cannot hold.
        return job[column] === undefined ? null : JSON.stringify(job[column]);
      default:
        return job[column];
    }
  });
}
