import type { JobLogLine, JobSnapshot, JobState, ListSort } from '@job-status/protocol';

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
  /** Prepares the store (tables, indexes); resolves with the epoch of the event log. */
  open(): Promise<{ epoch: string }>;
  /** Numbers the change, appends it to the event log and writes the job. */
  save(job: UnnumberedJob, options: SaveOptions): Promise<StoredJob>;
  get(jobId: string): Promise<StoredJob | null>;
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
  /** Writes what is pending and releases the store. */
  close(): Promise<void>;
}

/** The wire snapshot of a stored job: drops what only the server needs. */
export function publicSnapshot(job: StoredJob): JobSnapshot {
  const { input: _input, idempotency_key: _key, owner: _owner, ...snapshot } = job;
  return snapshot;
}
