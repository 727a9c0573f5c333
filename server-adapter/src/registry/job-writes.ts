import type { JobLogLine } from '@job-status/protocol';
import { JobStatusError } from '../errors.js';
import type { JobStatusLogger } from '../options.js';
import type { JobStore, StoredJob } from '../stores/store.js';
import { pause } from './backoff.js';
import type { Backoff } from './backoff.js';
import { isoNow } from './clock.js';
import type { JobStatusClock } from './clock.js';
import { isDataError, messageOf } from './store-health.js';
import type { StoreHealth } from './store-health.js';

export interface JobWritesOptions {
  store: JobStore;
  health: StoreHealth;
  backoff: Backoff;
  logger: JobStatusLogger;
  /** Where `updated_at` and the time of a line about lost lines come from. */
  clock: JobStatusClock;
  /** Aborted when the registry closes: waits end, each write gets one last try. */
  closing: AbortSignal;
  /** Log lines one job may have waiting for the store; more are counted as lost. */
  maxPendingLines: number;
  /** A save reached the store: publish it. */
  saved(job: StoredJob): void;
  /** A log line reached the store: publish it. */
  appended(line: JobLogLine): void;
  /** A change folded into a save that was still waiting (it will not be an event of its own). */
  folded(draft: StoredJob): void;
  /** The store refuses this process's writes for the job (another process took it over). */
  refused(error: JobStatusError): void;
}

type Write =
  | { type: 'save'; draft: StoredJob; durable: boolean; busy: boolean; done: Promise<void>; settle: () => void }
  | { type: 'log'; line: JobLogLine };

/**
 * The writes of one job, in the order it made them: saves of its state and its log lines.
 * A write that fails is retried with backoff, and the writes after it wait, so the store
 * never holds a newer state or line before an older one. Saves that wait fold into one
 * (the newest state wins), but a change of state never folds into the next one. While the
 * store is down, at most `maxPendingLines` log lines wait; the rest, and any write the
 * store rejects as bad data or that is still unwritten when the registry closes, are
 * counted in {@link lost} and logged: never a silent gap. One job's failures never touch
 * another job's writes.
 */
export class JobWrites {
  readonly #options: JobWritesOptions;
  readonly #writes: Write[] = [];
  #draining: Promise<void> | null = null;
  #pendingLines = 0;
  #refused = false;
  /** The newest state, not yet saved when a save is waiting. */
  draft: StoredJob;
  /** The newest state that was saved and published: what readers get. */
  saved: StoredJob;
  /** The number of the job's newest log line. */
  logSeq = 0;
  /** What could not be written. */
  readonly lost = { lines: 0, saves: 0 };
  /** Lines lost that no log line of the job mentions yet. */
  #unreportedLines = 0;

  constructor(job: StoredJob, options: JobWritesOptions) {
    this.draft = job;
    this.saved = job;
    this.#options = options;
  }

  /**
   * Applies a change and queues its save; resolves once it is saved (or given up). Changes
   * that come while an earlier save of the same state waits fold into that save.
   */
  update(patch: Partial<StoredJob>, durable: boolean): Promise<void> {
    this.draft = { ...this.draft, ...patch, updated_at: isoNow(this.#options.clock) };
    const last = this.#writes.at(-1);
    if (last?.type === 'save' && !last.busy && last.draft.state === this.draft.state) {
      last.draft = this.draft;
      last.durable ||= durable;
      this.#options.folded(this.draft);
      return last.done;
    }
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.#push({ type: 'save', draft: this.draft, durable, busy: false, done, settle });
    return done;
  }

  /**
   * Numbers a log line and queues it. While the store cannot write, a line that finds
   * `maxPendingLines` waiting already is counted as lost instead (its number stays a gap);
   * a burst into a working store always waits its turn.
   */
  log(entry: Omit<JobLogLine, 'seq'>) {
    const line = { seq: ++this.logSeq, ...entry };
    if (this.#pendingLines >= this.#options.maxPendingLines && this.#options.health.state !== 'open') {
      this.lost.lines++;
      this.#unreportedLines++;
      return;
    }
    this.#pendingLines++;
    this.#push({ type: 'log', line });
  }

  /** Resolves when every queued write is done or given up. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  get hasLoss() {
    return this.lost.lines > 0 || this.lost.saves > 0;
  }

  #push(write: Write) {
    if (this.#refused) {
      if (write.type === 'save') write.settle();
      return;
    }
    this.#writes.push(write);
    this.#kick();
  }

  /** Starts writing unless it already is; after the current tick, so the changes of one burst fold into one save. */
  #kick() {
    if (this.#draining) return;
    this.#draining = Promise.resolve()
      .then(() => this.#drain())
      .finally(() => {
        this.#draining = null;
        // A write queued between the last one done and this moment must not wait forever.
        if (this.#writes.length && !this.#refused) this.#kick();
      });
  }

  async #drain() {
    for (let failures = 0; this.#writes.length; ) {
      const write = this.#writes[0]!;
      const lastTry = this.#options.closing.aborted && failures > 0;
      try {
        if (write.type === 'save') {
          write.busy = true;
          const saved = await this.#options.store.save(write.draft, { durable: write.durable });
          this.saved = saved;
          this.#options.saved(saved);
        } else {
          await this.#options.store.appendLog(this.draft.job_id, write.line);
          this.#options.appended(write.line);
        }
        this.#options.health.succeeded();
        failures = 0;
      } catch (error) {
        if (write.type === 'save') write.busy = false;
        if (error instanceof JobStatusError && (error.code === 'already_finished' || error.code === 'not_owner')) {
          this.#refused = true;
          for (const rest of this.#writes.splice(0)) if (rest.type === 'save') rest.settle();
          this.#options.refused(error);
          return;
        }
        if (!isDataError(error) && !lastTry) {
          this.#options.health.failed(error);
          await pause(this.#options.backoff.delay(failures++), this.#options.closing);
          continue;
        }
        this.#lose(write, error, lastTry ? 'the store could not write it before the service closed' : 'the store rejected it');
        failures = 0;
      }
      this.#writes.shift();
      if (write.type === 'save') write.settle();
      else this.#pendingLines--;
      if (!this.#writes.length) this.#reportLostLines();
    }
  }

  #lose(write: Write, error: unknown, why: string) {
    if (write.type === 'save') this.lost.saves++;
    else {
      this.lost.lines++;
      this.#unreportedLines++;
    }
    this.#options.logger.error(
      { event: 'job.write_lost', job_id: this.draft.job_id, write: write.type === 'save' ? `state ${write.draft.state}` : `log line ${write.line.seq}`, err: messageOf(error) },
      `job-status: a write of this job was lost: ${why}`,
    );
  }

  /** Once the queue drains after lines were dropped, the job's own log says how many are missing. */
  #reportLostLines() {
    if (!this.#unreportedLines || this.#options.closing.aborted) return;
    const count = this.#unreportedLines;
    this.#unreportedLines = 0;
    this.#options.logger.error({ event: 'job.lines_lost', job_id: this.draft.job_id, lines: count }, 'job-status: log lines of this job were lost while the store could not write');
    this.#writes.push({
      type: 'log',
      line: { seq: ++this.logSeq, ts: isoNow(this.#options.clock), level: 'error', message: lostLinesMessage(count) },
    });
    this.#pendingLines++;
  }
}

/** What the job's log and message say when some of its log lines could not be stored. */
export function lostLinesMessage(lines: number) {
  return `job-status: ${lines} log line${lines === 1 ? '' : 's'} of this job could not be stored (the store could not write).`;
}
