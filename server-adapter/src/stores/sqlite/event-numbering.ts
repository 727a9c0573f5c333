import type Database from 'better-sqlite3';
import { newEpoch } from '../epoch.js';
import type { SqliteStatements } from './schema.js';

/** Event numbers reserved on disk at a time (one small write per this many events). */
const SEQ_BLOCK = 1000;

/**
 * Where the SQLite store's event numbering stands, and its epoch. Coalesced events reach
 * streams before they reach the disk, so numbers are reserved on disk a block at a time
 * before any of them is handed out, and a file that was not closed cleanly starts a new
 * epoch and numbers above its reservation: a job's `seq` only ever grows, across epochs too.
 */
export class EventNumbering {
  #seq = 0;
  /** Numbers up to here may have reached streams; a restart after a crash numbers from above it. */
  #reserved = 0;
  #prunedThrough = 0;
  #setMeta!: SqliteStatements['setMeta'];

  /** Reads the numbering of a file just opened, marks it open, and returns its epoch. */
  open(db: Database.Database, statements: SqliteStatements): string {
    this.#setMeta = statements.setMeta;
    const meta = (key: string) => statements.getMeta.get(key) as string | undefined;
    // After a crash, numbers that clients already hold may be handed out again for other
    // events, so a process that did not close cleanly starts a new epoch: every old resume
    // point resyncs.
    const crashed = meta('open') === '1';
    const epoch = crashed ? newEpoch() : (meta('epoch') ?? newEpoch());
    this.#setMeta.run('epoch', epoch);
    this.#setMeta.run('open', '1');
    this.#prunedThrough = Number(meta('pruned_through') ?? 0);
    const maxSeq = (sql: string) => Number((db.prepare(sql).get() as { s: number | null }).s ?? 0);
    // After a crash, numbers up to the reservation may be held by clients without being on
    // disk: start above them.
    this.#reserved = Number(meta('seq_reserved') ?? 0);
    this.#seq = Math.max(
      this.#prunedThrough,
      crashed ? this.#reserved : 0,
      maxSeq('SELECT MAX(seq) AS s FROM job_status_events'),
      maxSeq('SELECT MAX(seq) AS s FROM job_status_jobs'),
    );
    return epoch;
  }

  /** Marks the file closed cleanly: the next start keeps the epoch. */
  close() {
    this.#setMeta.run('open', '0');
  }

  /** The last number handed out. */
  get head() {
    return this.#seq;
  }

  /** The number the next event gets (not taken until {@link take}). */
  get next() {
    return this.#seq + 1;
  }

  /** Takes `seq` (the {@link next} number), reserving a block on disk first when it is past the reservation. */
  take(seq: number) {
    if (seq > this.#reserved) {
      this.#setMeta.run('seq_reserved', String(seq + SEQ_BLOCK));
      this.#reserved = seq + SEQ_BLOCK;
    }
    this.#seq = seq;
  }

  /** Events up to here were pruned: a resume point before it cannot be replayed. */
  get prunedThrough() {
    return this.#prunedThrough;
  }

  /** Records that events up to `through` are pruned (call inside the pruning transaction). */
  pruned(through: number) {
    this.#prunedThrough = through;
    this.#setMeta.run('pruned_through', String(through));
  }
}
