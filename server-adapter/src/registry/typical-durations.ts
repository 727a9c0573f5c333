import type { JobStore, StoredJob } from '../stores/store.js';

/** How many of the newest successful runs of a kind and target make up its typical duration. */
export const TYPICAL_RUNS = 10;
/**
 * Fewer successful runs than this say nothing: one fast run after a cache warm-up, or one
 * slow run on a busy night, would pass for the rule. No typical duration is given then.
 */
export const MIN_TYPICAL_RUNS = 3;

/** The median of the run times of successful jobs, or null when fewer than {@link MIN_TYPICAL_RUNS} have one. */
export function typicalDurationOf(jobs: readonly StoredJob[]): number | null {
  const durations = jobs
    .filter((job) => job.state === 'success' && job.started_at && job.finished_at)
    .map((job) => Date.parse(job.finished_at!) - Date.parse(job.started_at!))
    .filter((ms) => Number.isFinite(ms) && ms >= 0)
    .sort((a, b) => a - b);
  if (durations.length < MIN_TYPICAL_RUNS) return null;
  const middle = durations.length >> 1;
  return Math.round(durations.length % 2 ? durations[middle]! : (durations[middle - 1]! + durations[middle]!) / 2);
}

/**
 * How long a job of one kind and target usually runs: the median duration of its newest
 * successful runs in the history, read from the store once per kind and target and kept
 * until a job of that pair settles. The registry puts it on the snapshots of busy jobs
 * (`typical_duration_ms`), so an element can tell the admin how long is left.
 *
 * Reads never block a caller: `peek` answers from what is known and starts a read when
 * nothing is. A failed read is logged and counts as "not enough history" for a minute
 * before it is tried again, so a store outage does not turn every progress event into a
 * failing query and a log line.
 */
export class TypicalDurations {
  readonly #store: JobStore;
  readonly #onError: (error: unknown) => void;
  /** Known medians (null: not enough history), by kind and target. */
  readonly #known = new PairMap<number | null>();
  /** Reads under way, by kind and target. */
  readonly #reading = new PairMap<Promise<void>>();
  /** When a pair whose read failed may be read again (ms since the epoch). */
  readonly #retryAt = new PairMap<number>();

  constructor(store: JobStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  /**
   * The typical duration in milliseconds, null when the history has too few successful
   * runs, undefined while it is being read (the read starts now if it has not).
   */
  peek(kind: string, target: string | null): number | null | undefined {
    // Runs for every busy job of every poll: two map lookups by the job's own strings.
    const known = this.#known.get(kind, target);
    const retryAt = this.#retryAt.size ? this.#retryAt.get(kind, target) : undefined;
    if (known === undefined || (retryAt !== undefined && Date.now() >= retryAt)) void this.#read(kind, target);
    return known;
  }

  /** Resolves with the typical duration once it is read (null on too little history or a failed read). */
  async of(kind: string, target: string | null): Promise<number | null> {
    const known = this.peek(kind, target);
    if (known !== undefined) return known;
    await this.#reading.get(kind, target);
    return this.#known.get(kind, target) ?? null;
  }

  /** A job of this pair settled: read its history again; the old value serves until then. */
  refresh(kind: string, target: string | null): void {
    void this.#read(kind, target, true);
  }

  #read(kind: string, target: string | null, again = false): Promise<void> {
    const pending = this.#reading.get(kind, target);
    if (pending && !again) return pending;
    const read = (pending ?? Promise.resolve())
      .then(async () => {
        // `targets` matches exact targets only; jobs without one are kept apart by the filter below.
        const page = await this.#store.list({ kinds: [kind], ...(target === null ? {} : { targets: [target] }), states: ['success'], sort: 'created_desc', limit: target === null ? 100 : TYPICAL_RUNS });
        const same = page.jobs.filter((job) => job.target === target).slice(0, TYPICAL_RUNS);
        this.#known.set(kind, target, typicalDurationOf(same));
        this.#retryAt.delete(kind, target);
      })
      .catch((error) => {
        this.#onError(error);
        if (this.#known.get(kind, target) === undefined) this.#known.set(kind, target, null);
        this.#retryAt.set(kind, target, Date.now() + RETRY_MS);
      })
      .finally(() => {
        if (this.#reading.get(kind, target) === read) this.#reading.delete(kind, target);
      });
    this.#reading.set(kind, target, read);
    return read;
  }
}

/** How long a pair whose history could not be read waits before it is read again. */
const RETRY_MS = 60_000;

/**
 * Values by kind and target (null: no target), in a map per kind: looked up with the
 * strings the job carries, with no key text made per lookup. Values are never undefined.
 */
class PairMap<V> {
  readonly #byKind = new Map<string, Map<string | null, V>>();
  /** How many pairs have a value. */
  size = 0;

  get(kind: string, target: string | null): V | undefined {
    return this.#byKind.get(kind)?.get(target);
  }

  set(kind: string, target: string | null, value: V): void {
    let byTarget = this.#byKind.get(kind);
    if (!byTarget) this.#byKind.set(kind, (byTarget = new Map()));
    if (!byTarget.has(target)) this.size++;
    byTarget.set(target, value);
  }

  delete(kind: string, target: string | null): void {
    const byTarget = this.#byKind.get(kind);
    if (!byTarget?.delete(target)) return;
    this.size--;
    if (!byTarget.size) this.#byKind.delete(kind);
  }
}
