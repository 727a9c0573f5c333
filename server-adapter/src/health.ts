import type { JobBus } from './buses/bus.js';
import type { JobStatusLogger } from './options.js';
import type { JobStore } from './stores/store.js';

/**
 * Whether this instance can take jobs, for a readiness probe: what `jobs.health()` returns
 * and the opt-in `GET /health` answers (200 when `ready`, otherwise 503). It says nothing
 * about any job, only how many there are.
 */
export interface JobStatusHealth {
  /** The store is open and took a write just now, and the bus is connected. */
  ready: boolean;
  /**
   * `ok`; `opening` until the store has opened and left-over jobs are recovered;
   * `unavailable` when it did not open, or refused or did not finish the probe's write
   * within the probe timeout (the log says why).
   */
  store: 'ok' | 'opening' | 'unavailable';
  /** `connected`, or `disconnected` while a Redis or Postgres bus is down (streams on other instances then catch up from the store). */
  bus: 'connected' | 'disconnected';
  /** Jobs waiting for a slot of their kind in this process. */
  queued: number;
  /** Jobs running (or followed, for BullMQ kinds) in this process. */
  running: number;
  /** Open event streams on this process. */
  streams: number;
}

export interface ReadinessOptions {
  store: JobStore;
  bus: JobBus;
  /** Settles once the store is open (rejects when it could not open). */
  opened: Promise<unknown>;
  /** The owner id whose heartbeat the probe writes: a real write, and one the store expects. */
  instanceId: string;
  load: () => Iterable<{ queued: number; running: number }>;
  streams: () => number;
  logger: JobStatusLogger;
  /** How long the probe's write may take before the store counts as unavailable, in milliseconds. */
  timeoutMs: number;
}

/**
 * Answers readiness by asking the store to write (the owner heartbeat it writes every few
 * seconds anyway) and the bus whether it is connected. Probes that arrive while a write
 * is on its way share it, so a hung store never piles up writes, and a change of verdict
 * is logged once each way with the store's error, which the answer itself never carries.
 */
export class ReadinessCheck {
  readonly #options: ReadinessOptions;
  #opening: 'opening' | 'open' | 'failed' = 'opening';
  #write: Promise<unknown> | null = null;
  #storeOk = true;

  constructor(options: ReadinessOptions) {
    this.#options = options;
    options.opened.then(
      () => (this.#opening = 'open'),
      () => (this.#opening = 'failed'),
    );
  }

  async check(): Promise<JobStatusHealth> {
    const { bus, load, streams } = this.#options;
    const store = this.#opening === 'opening' ? 'opening' : this.#opening === 'failed' ? 'unavailable' : await this.#probe();
    const connected = bus.connected !== false;
    let queued = 0;
    let running = 0;
    for (const kind of load()) {
      queued += kind.queued;
      running += kind.running;
    }
    return { ready: store === 'ok' && connected, store, bus: connected ? 'connected' : 'disconnected', queued, running, streams: streams() };
  }

  async #probe(): Promise<'ok' | 'unavailable'> {
    const { store, instanceId, timeoutMs } = this.#options;
    const write = (this.#write ??= Promise.resolve()
      .then(() => store.beat(instanceId))
      .finally(() => (this.#write = null)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the store did not finish a write within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([write, late]);
      this.#verdict(null);
      return 'ok';
    } catch (error) {
      this.#verdict(error);
      return 'unavailable';
    } finally {
      clearTimeout(timer);
      write.catch(() => undefined);
    }
  }

  #verdict(error: unknown) {
    const ok = error === null;
    if (ok === this.#storeOk) return;
    this.#storeOk = ok;
    const { logger } = this.#options;
    if (ok) logger.info({ event: 'store.writable' }, 'job-status: readiness: the store takes writes again');
    else logger.error({ err: error instanceof Error ? error.message : String(error) }, 'job-status: readiness: the store does not take writes');
  }
}
