import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * The hosts of every clock of the page, by interval. One timer per interval fires on
 * whole multiples of it: the tiles of a page tick in one turn, so the browser lays the
 * page out once a second, not once per tile. A timer whose interval lost its last host
 * stops when it next fires.
 */
const ticks = new Map<number, Set<ReactiveControllerHost>>();
/** Hosts whose pending update a tick asked for (see {@link ClockController.ticked}). */
const due = new WeakSet<ReactiveControllerHost>();

function join(ms: number, host: ReactiveControllerHost) {
  let hosts = ticks.get(ms);
  if (!hosts) {
    const mine = (hosts = new Set());
    const tick = () => {
      if (ticks.get(ms) !== mine) return;
      for (const h of mine) {
        due.add(h);
        h.requestUpdate();
      }
      setTimeout(tick, ms - (Date.now() % ms));
    };
    ticks.set(ms, mine);
    setTimeout(tick, ms - (Date.now() % ms));
  }
  hosts.add(host);
}

function leave(ms: number, host: ReactiveControllerHost) {
  const hosts = ticks.get(ms);
  if (hosts?.delete(host) && !hosts.size) ticks.delete(ms);
}

/**
 * Re-renders its host every `interval` milliseconds while connected, so relative times
 * ("3 minutes ago") and a running job's duration stay true. Set `interval` to 0 to stop.
 * The timer runs only while the host is connected; every clock of the page with the same
 * interval shares one timer, so their hosts re-render together.
 *
 * @example
 * #clock = new ClockController(this);
 * willUpdate() { this.#clock.interval = running ? 1000 : 30_000; }
 * render() { return html`${format(this.#clock.now - started)}`; }
 */
export class ClockController implements ReactiveController {
  /** The current time, in milliseconds since the epoch. */
  get now(): number {
    return Date.now();
  }

  /** True while the host's pending update is one this clock's tick asked for. */
  get ticked(): boolean {
    return due.has(this.#host);
  }

  /** Milliseconds between re-renders; 0 stops the clock. */
  get interval(): number {
    return this.#interval;
  }
  set interval(ms: number) {
    if (ms === this.#interval) return;
    if (this.#connected) leave(this.#interval, this.#host);
    this.#interval = ms;
    if (this.#connected && ms > 0) join(ms, this.#host);
  }

  readonly #host: ReactiveControllerHost;
  #interval = 0;
  #connected = false;

  constructor(host: ReactiveControllerHost, interval = 0) {
    (this.#host = host).addController(this);
    this.#interval = interval;
  }

  hostConnected(): void {
    this.#connected = true;
    if (this.#interval > 0) join(this.#interval, this.#host);
  }

  hostUpdated(): void {
    due.delete(this.#host);
  }

  hostDisconnected(): void {
    this.#connected = false;
    leave(this.#interval, this.#host);
  }
}
