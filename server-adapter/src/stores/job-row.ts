import type { StoredJob } from './store.js';

/**
 * A job read back from a SQL row, as the SQLite and Postgres stores write it: JSON
 * columns as text, `has_logs` as 1/0 (SQLite) or a boolean (Postgres).
 */
export function jobFromRow(row: Record<string, unknown>): StoredJob {
  const text = (key: string) => row[key] as string | null;
  const json = (key: string) => (row[key] === null || row[key] === undefined ? null : JSON.parse(row[key] as string));
  return {
    job_id: text('job_id')!,
    kind: text('kind')!,
    target: text('target'),
    label: text('label')!,
    state: text('state') as StoredJob['state'],
    phase: text('phase'),
    progress: json('progress'),
    message: text('message'),
    error: json('error'),
    created_at: text('created_at')!,
    started_at: text('started_at'),
    finished_at: text('finished_at'),
    updated_at: text('updated_at')!,
    seq: Number(row.seq),
    has_logs: row.has_logs === 1 || row.has_logs === true,
    actor: text('actor'),
    input: row.input === null || row.input === undefined ? undefined : JSON.parse(row.input as string),
    idempotency_key: text('idempotency_key'),
    owner: text('owner'),
    ...(row.result === null || row.result === undefined ? {} : { result: JSON.parse(row.result as string) }),
  };
}
