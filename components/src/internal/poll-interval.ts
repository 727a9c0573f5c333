import { MAX_INTERVAL, MIN_INTERVAL } from '../client/delays.js';

/**
 * Reads a polling interval that a page set (an attribute or a property, in ms) by the
 * dashboard rules: 2000–60000 ms. Missing means `fallback`, silently; a value that is not
 * a number becomes `fallback`, one out of range the nearest bound, and either says so
 * with one `console.warn` (once per value, so a re-render does not repeat it).
 *
 * @example
 * #interval = new PollInterval('<job-list> refresh-interval', 5000);
 * willUpdate() { poller.interval = this.#interval.read(this.refreshInterval); }
 */
export class PollInterval {
  #warned: unknown = undefined;

  /**
   * @param name What the page set, as the warning names it: `<job-list> refresh-interval`.
   * @param fallback The default, in ms.
   */
  constructor(
    readonly name: string,
    readonly fallback: number,
  ) {}

  /** The interval to use for `value`, in ms. */
  read(value: unknown): number {
    if (value === null || value === undefined) return this.fallback;
    const ms = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
    const used = Number.isFinite(ms) ? Math.min(MAX_INTERVAL, Math.max(MIN_INTERVAL, ms)) : this.fallback;
    if (used !== ms && !Object.is(value, this.#warned)) {
      this.#warned = value;
      console.warn(
        `job-status: ${this.name}="${String(value)}" is ${Number.isFinite(ms) ? 'out of range' : 'not a number'}; ` +
          `using ${used} ms (allowed: ${MIN_INTERVAL}–${MAX_INTERVAL} ms)`,
      );
    }
    return used;
  }
}
