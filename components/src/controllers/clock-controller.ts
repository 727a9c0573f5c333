import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Re-renders its host every `interval` milliseconds while connected, so relative times
 * ("3 minutes ago") and a running job's duration stay true. Set `interval` to 0 to stop.
 * The timer runs only while the host is connected.
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
    this.#interval = ms;
    if (this.#connected) this.#start();
  }

  readonly #host: ReactiveControllerHost;
  #interval = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #connected = false;

  constructor(host: ReactiveControllerHost, interval = 0) {
    (this.#host = host).addController(this);
    this.#interval = interval;
  }

  hostConnected(): void {
    this.#connected = true;
    this.#start();
  }

  hostDisconnected(): void {
    this.#connected = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #start() {
    clearInterval(this.#timer);
    this.#timer = this.#interval > 0 ? setInterval(() => this.#host.requestUpdate(), this.#interval) : undefined;
  }
}
