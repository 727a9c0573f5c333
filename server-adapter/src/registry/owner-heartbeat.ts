import type { JobStore, StoredJob } from '../stores/store.js';
import type { JobDefinition } from './definition.js';
import type { StoreHealth } from './store-health.js';
import { isoNow, repeat } from './clock.js';
import type { JobStatusClock } from './clock.js';

/**
 * An owner that missed this many heartbeats is taken for dead: its busy jobs are recovered.
 * Three tolerates one slow beat without declaring a live process dead.
 */
export const LAPSE_BEATS = 3;
/** On start, owners heard from within this long are left to the periodic check (a day, as stores forget owners). */
const KNOWN_OWNER_MS = 24 * 60 * 60_000;
const INTERRUPTED_HINT = 'Nothing is running now: run the action again.';

export interface OwnerHeartbeatOptions {
  store: JobStore;
  health: StoreHealth;
  /** Owner id of this process; unique among the processes that share the store. */
  instanceId: string;
  /** How often this process tells the store it is alive, in milliseconds. */
  ownerHeartbeatMs: number;
  /** Times the beats and the lapse. */
  clock: JobStatusClock;
  /** Whether this process runs the job now. */
  isLive(jobId: string): boolean;
  /** The definition of a kind, if this process knows it. */
  definition(kind: string): JobDefinition<any> | undefined;
  /** Follows a job again from where it is: `logs` is how many log lines it already has. */
  adopt(job: StoredJob, definition: JobDefinition<any>, logs: number): void;
  /** A job was finished here as `interrupted`: publish it, then record it as settled. */
  interrupted(job: StoredJob): void;
  internal(error: unknown): void;
}

/**
 * Tells the store, every `ownerHeartbeatMs`, that this process is alive, and takes over
 * the busy jobs of owners that stopped beating: a job that can be followed again is
 * adopted, any other is finished `failed` with code `interrupted`.
 */
export class OwnerHeartbeat {
  readonly #options: OwnerHeartbeatOptions;
  #stopTimer: (() => void) | null = null;
  /** Since when this process's beats reach the store without a failure; null after a failure. */
  #beatingSince: number | null = null;
  #recovering: Promise<void> | null = null;
  #stopped = false;

  constructor(options: OwnerHeartbeatOptions) {
    this.#options = options;
  }

  /** The first beat, on start; a failure is thrown (the periodic beat tries again). */
  async first() {
    await this.#options.store.beat(this.#options.instanceId);
    this.#beatingSince = this.#options.clock.now();
  }

  /** Beats every `ownerHeartbeatMs` from now on. */
  start() {
    this.#stopTimer = repeat(this.#options.clock, this.#options.ownerHeartbeatMs, () => void this.#beat());
  }

  /** Stops beating and recovering. */
  stop() {
    this.#stopped = true;
    this.#stopTimer?.();
  }

  /** Resolves once a recovery under way has ended. */
  idle() {
    return this.#recovering;
  }

  /**
   * Tells the store this process is alive, then looks for jobs whose owner stopped. Only
   * after this process's own beats have reached the store for a whole lapse: after a
   * store outage every owner's last beat looks old, and the others need that long to beat
   * again before their silence means anything.
   */
  async #beat() {
    if (this.#stopped) return;
    const { store, instanceId, health, clock } = this.#options;
    try {
      await store.beat(instanceId);
      health.succeeded();
      this.#beatingSince ??= clock.now();
    } catch (error) {
      health.failed(error);
      if (this.#beatingSince !== null) this.#options.internal(error);
      this.#beatingSince = null;
      return;
    }
    if (clock.now() - this.#beatingSince < this.#lapseMs || this.#recovering) return;
    this.#recovering = this.recover(false)
      .catch((error) => this.#options.internal(error))
      .finally(() => (this.#recovering = null));
  }

  get #lapseMs() {
    return LAPSE_BEATS * this.#options.ownerHeartbeatMs;
  }

  /**
   * Takes over the busy jobs whose owner stopped beating (on start, also the jobs this
   * very owner id left behind in a previous life, and jobs without an owner). A job of a
   * kind that runs elsewhere and can be followed again (`resume`) is adopted; any other is
   * finished as `failed` with code `interrupted`. Jobs of live owners are never touched.
   */
  async recover(starting: boolean) {
    const { store, instanceId } = this.#options;
    // On start, this process has not yet beaten for a lapse: it spares every owner that
    // beat at all lately (it may be coming back from the same outage), and takes only the
    // jobs of owners that stopped on purpose (their heartbeat is gone). A store that one
    // process uses at a time has no other live owner: everything busy is left over.
    const alone = starting && store.exclusive === true;
    const [busy, spared] = await Promise.all([store.listBusy(), alone ? [] : store.liveOwners(starting ? KNOWN_OWNER_MS : this.#lapseMs)]);
    const spare = new Set(spared);
    const lapseMs = alone ? 0 : this.#lapseMs;
    for (const job of busy) {
      if (this.#options.isLive(job.job_id) || this.#stopped) continue;
      // A job of this owner id that is not live here is only left over on start; later it is one being created.
      if (job.owner === instanceId ? !starting : job.owner !== null && spare.has(job.owner)) continue;
      try {
        const claimed = await store.claim(job.job_id, instanceId, lapseMs);
        if (!claimed) continue;
        const definition = this.#options.definition(claimed.kind);
        if (definition?.resume) await this.#adopt(claimed, definition);
        else await this.#interrupt(claimed, job.owner === instanceId || job.owner === null);
      } catch (error) {
        // One job that cannot be recovered now must not stop the others (or the start).
        this.#options.internal(error);
      }
    }
  }

  async #interrupt(job: StoredJob, restarted: boolean) {
    const now = isoNow(this.#options.clock);
    // One sentence for what happened, one hint for what to do: the tile shows each once.
    const who = restarted ? 'The server restarted' : 'The server running this job stopped';
    const error = job.state === 'queued' ? `${who} before this job started.` : `${who} while this job was running.`;
    const saved = await this.#options.store.save(
      {
        ...job,
        state: 'failed',
        finished_at: now,
        updated_at: now,
        message: error,
        error: { code: 'interrupted', message: error, hint: INTERRUPTED_HINT },
      },
      { durable: true },
    );
    this.#options.interrupted(saved);
  }

  /** Follows a job again whose follower stopped, from where it is now (see `JobDefinition.resume`). */
  async #adopt(job: StoredJob, definition: JobDefinition<any>) {
    let logs = 0;
    for (let page; (page = await this.#options.store.readLogs(job.job_id, logs, 1000)).length; ) logs = page.at(-1)!.seq;
    this.#options.adopt(job, definition, logs);
  }
}
