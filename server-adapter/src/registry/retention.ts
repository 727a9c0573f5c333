import type { JobStatusLogger } from '../options.js';
import type { JobStore } from '../stores/store.js';
import { repeat } from './clock.js';
import type { JobStatusClock } from './clock.js';

export interface RetentionOptions {
  store: JobStore;
  logger: JobStatusLogger;
  /** How long a finished job is kept, in milliseconds. */
  retentionMs: number;
  /** Events the store keeps at most for replay. */
  maxEvents: number;
  /** Times the rounds and the window. */
  clock: JobStatusClock;
}

/**
 * Removes terminal jobs older than the retention window, with their logs and events: once
 * on start, then every tenth of the window (between 1 s and 10 min).
 */
export class Retention {
  readonly #options: RetentionOptions;
  #stopTimer: (() => void) | null = null;

  constructor(options: RetentionOptions) {
    this.#options = options;
  }

  /** Prunes now, then periodically until `stop()`. */
  async start() {
    await this.prune();
    const every = Math.min(Math.max(this.#options.retentionMs / 10, 1000), 10 * 60_000);
    this.#stopTimer = repeat(this.#options.clock, every, () => void this.prune());
  }

  stop() {
    this.#stopTimer?.();
  }

  /** Removes what is past the window now; a failure is logged, and the next round tries again. */
  async prune() {
    try {
      return await this.#options.store.prune({
        finishedBefore: new Date(this.#options.clock.now() - this.#options.retentionMs),
        maxEvents: this.#options.maxEvents,
      });
    } catch (error) {
      this.#options.logger.error({ err: String(error) }, 'job-status: pruning failed');
      return { jobs: 0, events: 0 };
    }
  }
}
