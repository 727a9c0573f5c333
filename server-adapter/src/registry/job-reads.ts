import type { JobListResponse, JobLogLine, JobSnapshot } from '@job-status/protocol';
import { isTerminalState } from '@job-status/protocol';
import { SORT_COLUMNS, encodeCursor } from '../stores/cursor.js';
import { publicSnapshot } from '../stores/store.js';
import type { JobStore, ListQuery, StoredJob } from '../stores/store.js';
import type { LiveJob } from './live-job.js';
import type { StoreHealth } from './store-health.js';
import type { TypicalDurations } from './typical-durations.js';

/** What a saved state's snapshot serializes to, kept with the state, and the typical duration it carries. */
type KeptJson = WeakMap<StoredJob, { typical: number | undefined; json: string }>;

/**
 * A job read for a poll: its saved state, a wire snapshot of it on demand (a new object on
 * every call, for `canSee`), and that snapshot as JSON (made at most once per saved state).
 */
export class PolledJob {
  /** The saved state read. */
  readonly job: StoredJob;
  readonly #typical: number | undefined;
  readonly #kept: KeptJson;

  constructor(job: StoredJob, typical: number | undefined, kept: KeptJson) {
    this.job = job;
    this.#typical = typical;
    this.#kept = kept;
  }

  /** The wire snapshot, a new object each time. */
  snapshot(): JobSnapshot {
    return publicSnapshot(this.job, this.#typical);
  }

  json(): string {
    const kept = this.#kept.get(this.job);
    if (kept && kept.typical === this.#typical) return kept.json;
    const json = JSON.stringify(this.snapshot());
    this.#kept.set(this.job, { typical: this.#typical, json });
    return json;
  }
}

/** Store pages read at most for one page of history; past that, its cursor goes on where the reading stopped. */
const MAX_ROUNDS = 20;

export interface JobReadsOptions {
  store: JobStore;
  health: StoreHealth;
  /** The jobs this process runs, by id: their saved state is read before the store's. */
  live: ReadonlyMap<string, LiveJob>;
  typical: TypicalDurations;
}

/**
 * What readers see of jobs: the newest saved state of a job this process runs, else the
 * store's, as wire snapshots; pages of history filtered without shrinking; log lines.
 */
export class JobReads {
  readonly #options: JobReadsOptions;

  constructor(options: JobReadsOptions) {
    this.#options = options;
  }

  /** The wire snapshot, with the typical duration of its kind and target while the job is busy. */
  outward(job: StoredJob): JobSnapshot {
    return publicSnapshot(job, this.#typicalOf(job));
  }

  #typicalOf(job: StoredJob): number | undefined {
    if (isTerminalState(job.state)) return undefined;
    const typical = this.#options.typical.peek(job.kind, job.target);
    return typeof typical === 'number' ? typical : undefined;
  }

  /**
   * Jobs by id for a poll, as `getMany` reads them, each with its snapshot as JSON, made at most once
   * per saved state: a saved state is never changed (each save makes a new object), so
   * its text is kept with it for as long as it is current (a poll of many jobs serializes
   * the same states again and again otherwise).
   */
  async poll(jobIds: readonly string[]): Promise<PolledJob[]> {
    return (await this.#current(jobIds)).map((job) => this.#polled(job));
  }

  /**
   * {@link poll}, at once, when every job is known without waiting: it runs in this
   * process, or the store reads synchronously (`getNow`); undefined otherwise.
   */
  pollNow(jobIds: Iterable<string>): PolledJob[] | undefined {
    const { live, store } = this.#options;
    const polled: PolledJob[] = [];
    for (const id of jobIds) {
      const job = live.get(id)?.writes.saved ?? (store.getNow ? store.getNow(id) : undefined);
      if (job === undefined) return undefined;
      if (job) polled.push(this.#polled(job));
    }
    return polled;
  }

  readonly #kept: KeptJson = new WeakMap();
  #polled(job: StoredJob): PolledJob {
    return new PolledJob(job, this.#typicalOf(job), this.#kept);
  }

  /** The snapshot readers see now of a job read earlier. */
  readable(job: StoredJob): JobSnapshot {
    return this.outward(this.#options.live.get(job.job_id)?.writes.saved ?? job);
  }

  async get(jobId: string): Promise<JobSnapshot | null> {
    const live = this.#options.live.get(jobId);
    if (live) return this.outward(live.writes.saved);
    const job = await this.#options.store.get(jobId);
    return job && this.outward(job);
  }

  async getMany(jobIds: readonly string[]): Promise<JobSnapshot[]> {
    return (await this.#current(jobIds)).map((job) => this.outward(job));
  }

  /** The newest saved state of each job, in the order asked, without the unknown ones. */
  async #current(jobIds: readonly string[]): Promise<StoredJob[]> {
    const { live, store } = this.#options;
    const fromStore = await store.getMany(jobIds.filter((id) => !live.has(id)));
    const byId = new Map(fromStore.map((job) => [job.job_id, job]));
    return jobIds.flatMap((id) => live.get(id)?.writes.saved ?? byId.get(id) ?? []);
  }

  /**
   * A page of history with only the jobs `keep` allows; reads further pages of the store
   * until the page is full, so a filter never shrinks a page. A page that ends inside a
   * store page gets a cursor of its own, at its last job.
   */
  async list(query: ListQuery, keep: (job: JobSnapshot) => boolean): Promise<JobListResponse> {
    const { column } = SORT_COLUMNS[query.sort];
    const jobs: JobSnapshot[] = [];
    let cursor = query.cursor;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const page = await this.#options.store.list({ ...query, cursor });
      for (const [index, job] of page.jobs.entries()) {
        const snapshot = this.outward(job);
        if (!keep(snapshot)) continue;
        jobs.push(snapshot);
        if (jobs.length === query.limit) {
          const more = index < page.jobs.length - 1 || page.next_cursor !== null;
          return { jobs, next_cursor: more ? encodeCursor({ at: job[column], id: job.job_id }) : null };
        }
      }
      if (page.next_cursor === null) return { jobs, next_cursor: null };
      cursor = page.next_cursor;
    }
    return { jobs, next_cursor: cursor ?? null };
  }

  async logs(jobId: string, after: number, limit: number): Promise<JobLogLine[]> {
    // Lines on their way are read once written; while the store is down, what it has is served.
    if (this.#options.health.state === 'open') await this.#options.live.get(jobId)?.writes.idle();
    return this.#options.store.readLogs(jobId, after, limit);
  }
}
