import type { StoredJob } from './store.js';

/**
 * A job read back from a SQL row, as the SQLite and Postgres stores write it: JSON
 * columns as text, `has_logs` as 1/0 (SQLite) or a boolean (Postgres).
 */
export function jobFromRow(row: Record<string, unknown>): StoredJob {
  // Written out field by field (no helper closures, no spread): every read of a stored job comes through here.
  const job: StoredJob = {
    job_id: row.job_id as string,
    kind: row.kind as string,
    target: row.target as string | null,
    label: row.label as string,
    state: row.state as StoredJob['state'],
    phase: row.phase as string | null,
    progress: parsed(row.progress),
    message: row.message as string | null,
    error: parsed(row.error),
    created_at: row.created_at as string,
    started_at: row.started_at as string | null,
    finished_at: row.finished_at as string | null,
    updated_at: row.updated_at as string,
    seq: Number(row.seq),
    has_logs: row.has_logs === 1 || row.has_logs === true,
    actor: row.actor as string | null,
    input: row.input === null || row.input === undefined ? undefined : JSON.parse(row.input as string),
    idempotency_key: row.idempotency_key as string | null,
    owner: row.owner as string | null,
  };
  if (row.result !== null && row.result !== undefined) job.result = JSON.parse(row.result as string);
  return job;
}

/** A JSON column: null when empty. */
function parsed(value: unknown) {
  return value === null || value === undefined ? null : JSON.parse(value as string);
}
