import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * One timer per interval for every clock of the page, firing on whole multiples of the
 * interval: the tiles of a page tick in one turn, so the browser lays the page out once
 * a second, not once per tile.
 */
interface Tick {
  hosts: Set<ReactiveControllerHost>;
  timer?: ReturnType<typeof setTimeout>;
}
const ticks = new Map<number, Tick>();

function join(ms: number, host: ReactiveControllerHost) {
  let tick = ticks.get(ms);
  if (!tick) {
    const t: Tick = { hosts: new Set() };
    const next = () => {
      t.timer = setTimeout(() => {
        for (const h of t.hosts) h.requestUpdate();
        next();
      }, ms - (Date.now() % ms));
    };
    ticks.set(ms, (tick = t));
    next();
  }
  tick.hosts.add(host);
}

function leave(ms: number, host: ReactiveControllerHost) {
  const tick = ticks.get(ms);
  if (!tick?.hosts.delete(host) || tick.hosts.size) return;
  clearTimeout(tick.timer);
  ticks.delete(ms);
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

  hostDisconnected(): void {
    this.#connected = false;
    leave(this.#interval, this.#host);
  }
}
