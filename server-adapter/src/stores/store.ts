import type { JobLogLine, JobSnapshot, JobState, ListSort } from '@job-status/protocol';
import { TERMINAL_STATES } from '@job-status/protocol';
import { JobStatusError } from '../errors.js';

/** A job as the store keeps it: the snapshot plus what only the server needs. */
export interface StoredJob extends JobSnapshot {
  /** The validated input the handler receives. */
  input: unknown;
  /** `<principal id>\n<Idempotency-Key>` when the enqueue carried a key, otherwise null. */
  idempotency_key: string | null;
  /** Id of the process that runs (or will run) the job; used by recovery. */
  owner: string | null;
}

/** A snapshot before the store has numbered it. */
export type UnnumberedJob = Omit<StoredJob, 'seq'>;

/** One entry of the event log that makes resume possible. */
export interface StoredEvent {
  seq: number;
  snapshot: JobSnapshot;
}

/** A history query, already validated. */
export interface ListQuery {
  states?: readonly JobState[] | undefined;
  kinds?: readonly string[] | undefined;
  targets?: readonly string[] | undefined;
  sort: ListSort;
  /** 1..100 */
  limit: number;
  /** Opaque position returned as `next_cursor` by the previous page. */
  cursor?: string | undefined;
}

export interface ListPage {
  jobs: StoredJob[];
  next_cursor: string | null;
}

/** What to prune. */
export interface PruneOptions {
  /** Terminal jobs that finished before this instant go, with their logs and events. */
  finishedBefore: Date;
  /** The event log keeps at most this many newest events. */
  maxEvents: number;
}

/** Options of {@link JobStore.save}. */
export interface SaveOptions {
  /**
   * Commit before resolving. Used for creation, start and terminal states, so a state
   * that is announced is never lost. Other saves (progress, phase) may be coalesced.
   */
  durable: boolean;
}

/**
 * Where jobs, their logs and the event log live. Every method is async so a networked
 * store fits the same shape; the registry calls `save` for one job at a time, in order.
 *
 * The store numbers events: `save` assigns the next `seq` of the whole log, so the
 * same `seq` means the same event on every process that shares the store.
 */
export interface JobStore {
  /**
   * True for a store that one process uses at a time (SQLite, memory): whatever a starting
   * process finds busy was left by a process that is gone, so it is recovered at once,
   * without waiting for its owner's heartbeat to lapse. Absent or false for a shared store.
   */
  readonly exclusive?: boolean;
  /** Prepares the store (tables, indexes); resolves with the epoch of the event log. */
  open(): Promise<{ epoch: string }>;
  /**
   * Numbers the change, appends it to the event log and writes the job. Rejects, writing
   * nothing, with {@link alreadyFinished} when the stored job is already terminal, and with
   * {@link notOwner} when another process has claimed it (its `owner` is not the one this
   * change carries).
   */
  save(job: UnnumberedJob, options: SaveOptions): Promise<StoredJob>;
  get(jobId: string): Promise<StoredJob | null>;
  /**
   * Optional: what `get` answers, at once, for a store that reads synchronously (the
   * SQLite and memory stores do). A poll of such a store is then answered in the
   * request's own turn, without a promise.
   */
  getNow?(jobId: string): StoredJob | null;
  getMany(jobIds: readonly string[]): Promise<StoredJob[]>;
  findByIdempotencyKey(key: string): Promise<StoredJob | null>;
  list(query: ListQuery): Promise<ListPage>;
  /** Jobs still `queued` or `running`, oldest first (what recovery looks at). */
  listBusy(): Promise<StoredJob[]>;
  appendLog(jobId: string, line: JobLogLine): Promise<void>;
  readLogs(jobId: string, after: number, limit: number): Promise<JobLogLine[]>;
  /** The seq of the newest event, or 0 for an empty log. */
  head(): Promise<number>;
  /**
   * Events with `seq > after`, oldest first, at most `limit`. Null when events after
   * `after` were pruned (or `after` is ahead of the log): the caller must resync.
   */
  readEvents(after: number, limit: number): Promise<StoredEvent[] | null>;
  prune(options: PruneOptions): Promise<{ jobs: number; events: number }>;
  /**
   * Records that `owner` (a process that runs jobs) is alive now, by the store's own clock,
   * so processes on hosts whose clocks disagree still agree on who stopped beating.
   */
  beat(owner: string): Promise<void>;
  /** Forgets `owner`'s heartbeat: it stopped on purpose, and its busy jobs may be recovered at once. */
  release(owner: string): Promise<void>;
  /** Owners whose last beat is at most `lapseMs` milliseconds old, by the store's clock. */
  liveOwners(lapseMs: number): Promise<string[]>;
  /**
   * Makes `owner` the owner of a busy job whose current owner is `null`, is `owner` itself,
   * or has not beaten for `lapseMs` milliseconds. Atomic: of several processes that claim
   * one job at once, one gets it. Resolves with the claimed job (not renumbered, no event),
   * or null when the job is finished, unknown, or its owner is alive.
   */
  claim(jobId: string, owner: string, lapseMs: number): Promise<StoredJob | null>;
  /** Writes what is pending and releases the store. */
  close(): Promise<void>;
}

/**
 * Thrown by {@link JobStore.save} for a job that is already terminal in the store: a
 * finished job never changes again, even when a process that lost its ownership (it
 * stopped beating for a while) still tries to write it.
 */
export function alreadyFinished(job: { job_id: string; state: string }): JobStatusError {
  return new JobStatusError(409, 'already_finished', `job-status: job ${job.job_id} already finished as ${job.state}; a finished job never changes`);
}

/**
 * Thrown by {@link JobStore.save} for a job that another process claimed (see
 * {@link JobStore.claim}): the process that wrote it before has lost it, usually because
 * its heartbeat did not reach the store for a whole lapse, and must stop writing it.
 */
export function notOwner(job: { job_id: string; owner: string | null }): JobStatusError {
  return new JobStatusError(409, 'not_owner', `job-status: job ${job.job_id} now belongs to ${job.owner ?? 'no process'}; this process no longer runs it`);
}

/** The reason `save` refuses a change to `current` (the stored job), or null when it may be written. */
export function refusal(current: Pick<StoredJob, 'job_id' | 'state' | 'owner'> | undefined, change: Pick<StoredJob, 'owner'>): JobStatusError | null {
  if (!current) return null;
  if (TERMINAL_STATES.has(current.state)) return alreadyFinished(current);
  if (current.owner !== change.owner) return notOwner(current);
  return null;
}

/**
 * The wire snapshot of a stored job: drops what only the server needs, and adds
 * `typicalDurationMs` when given. Built field by field, in the protocol's order: every
 * read and every event goes through here, and a rest spread costs several times more.
 */
export function publicSnapshot(job: StoredJob, typicalDurationMs?: number): JobSnapshot {
  const snapshot: JobSnapshot = {
    job_id: job.job_id,
    kind: job.kind,
    target: job.target,
    label: job.label,
    state: job.state,
    phase: job.phase,
    progress: job.progress,
    message: job.message,
    error: job.error,
    created_at: job.created_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
    updated_at: job.updated_at,
    seq: job.seq,
    has_logs: job.has_logs,
    actor: job.actor,
  };
  if ('result' in job) snapshot.result = job.result;
  const typical = typicalDurationMs ?? job.typical_duration_ms;
  if (typical !== undefined) snapshot.typical_duration_ms = typical;
  return snapshot;
}
