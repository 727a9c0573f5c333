import type { JobLogLine } from '@job-status/protocol';
import { TERMINAL_STATES, isTerminalState } from '@job-status/protocol';
// Written only against `@job-status/hono/store` (./store-kit.ts), as a third-party store would be.
import { SORT_COLUMNS, decodeCursor, newEpoch, pageOf, publicSnapshot, refusal } from './store-kit.js';
import type { JobStore, ListPage, ListQuery, PruneOptions, StoredEvent, StoredJob, UnnumberedJob } from './store-kit.js';

/**
 * A store that lives in this process's memory: for tests, demos and apps that do not
 * need history across restarts. Everything is lost when the process exits.
 *
 * @example
 * const jobs = createJobStatus({ store: memoryStore(), authorize })
 */
export function memoryStore(): JobStore {
  return new MemoryStore();
}

class MemoryStore implements JobStore {
  readonly exclusive = true;
  #epoch = newEpoch();
  #jobs = new Map<string, StoredJob>();
  #byKey = new Map<string, string>();
  #logs = new Map<string, JobLogLine[]>();
  #events: StoredEvent[] = [];
  #seq = 0;
  /** Every event with seq <= this was pruned. */
  #prunedThrough = 0;
  /** Owner → time of its last beat (ms since the epoch). */
  #beats = new Map<string, number>();

  async open() {
    return { epoch: this.#epoch };
  }

  async save(job: UnnumberedJob): Promise<StoredJob> {
    const refused = refusal(this.#jobs.get(job.job_id), job);
    if (refused) throw refused;
    const stored: StoredJob = { ...job, seq: ++this.#seq };
    this.#jobs.set(stored.job_id, stored);
    if (stored.idempotency_key) this.#byKey.set(stored.idempotency_key, stored.job_id);
    this.#events.push({ seq: stored.seq, snapshot: publicSnapshot(stored) });
    return stored;
  }

  async get(jobId: string) {
    return this.getNow(jobId);
  }

  getNow(jobId: string) {
    return this.#jobs.get(jobId) ?? null;
  }

  async getMany(jobIds: readonly string[]) {
    return jobIds.flatMap((id) => this.#jobs.get(id) ?? []);
  }

  async findByIdempotencyKey(key: string) {
    const id = this.#byKey.get(key);
    return id === undefined ? null : (this.#jobs.get(id) ?? null);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const { column, descending } = SORT_COLUMNS[query.sort];
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const direction = descending ? -1 : 1;
    const compare = (a: StoredJob, b: StoredJob) =>
      direction * (a[column] < b[column] ? -1 : a[column] > b[column] ? 1 : a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0);
    const matches = [...this.#jobs.values()]
      .filter(
        (job) =>
          (!query.states?.length || query.states.includes(job.state)) &&
          (!query.kinds?.length || query.kinds.includes(job.kind)) &&
          (!query.targets?.length || (job.target !== null && query.targets.includes(job.target))),
      )
      .filter((job) => {
        if (!cursor) return true;
        const at = job[column];
        const after = at === cursor.at ? job.job_id > cursor.id : at > cursor.at;
        return descending ? at < cursor.at || (at === cursor.at && job.job_id < cursor.id) : after;
      })
      .sort(compare);
    return pageOf(matches, query);
  }

  async listBusy() {
    return [...this.#jobs.values()]
      .filter((job) => !TERMINAL_STATES.has(job.state))
      .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  }

  async appendLog(jobId: string, line: JobLogLine) {
    let lines = this.#logs.get(jobId);
    if (!lines) this.#logs.set(jobId, (lines = []));
    lines.push(line);
  }

  async readLogs(jobId: string, after: number, limit: number) {
    return (this.#logs.get(jobId) ?? []).filter((line) => line.seq > after).slice(0, limit);
  }

  async head() {
    return this.#seq;
  }

  async readEvents(after: number, limit: number) {
    if (after < this.#prunedThrough || after > this.#seq) return null;
    const start = this.#events.findIndex((event) => event.seq > after);
    return start === -1 ? [] : this.#events.slice(start, start + limit);
  }

  async prune({ finishedBefore, maxEvents }: PruneOptions) {
    const cutoff = finishedBefore.toISOString();
    const gone = new Set<string>();
    for (const job of this.#jobs.values()) {
      if (job.finished_at !== null && job.finished_at < cutoff) gone.add(job.job_id);
    }
    for (const id of gone) {
      const key = this.#jobs.get(id)!.idempotency_key;
      if (key) this.#byKey.delete(key);
      this.#jobs.delete(id);
      this.#logs.delete(id);
    }
    const before = this.#events.length;
    const kept = this.#events.filter((event) => !gone.has(event.snapshot.job_id));
    const removed = this.#events.filter((event) => gone.has(event.snapshot.job_id));
    if (kept.length > maxEvents) removed.push(...kept.splice(0, kept.length - maxEvents));
    // A resume point before any removed event can no longer be replayed in full.
    for (const event of removed) this.#prunedThrough = Math.max(this.#prunedThrough, event.seq);
    this.#events = kept.filter((event) => event.seq > this.#prunedThrough);
    return { jobs: gone.size, events: before - this.#events.length };
  }

  async beat(owner: string) {
    this.#beats.set(owner, Date.now());
  }

  async release(owner: string) {
    this.#beats.delete(owner);
  }

  async liveOwners(lapseMs: number) {
    const since = Date.now() - lapseMs;
    return [...this.#beats].filter(([, at]) => at >= since).map(([owner]) => owner);
  }

  async claim(jobId: string, owner: string, lapseMs: number) {
    const job = this.#jobs.get(jobId);
    if (!job || isTerminalState(job.state)) return null;
    const beat = job.owner === null ? undefined : this.#beats.get(job.owner);
    if (job.owner !== null && job.owner !== owner && beat !== undefined && beat >= Date.now() - lapseMs) return null;
    const claimed = { ...job, owner };
    this.#jobs.set(jobId, claimed);
    return claimed;
  }

  async close() {}
}

