import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ConnectionState, JobStatusClient } from '../client/types.js';

/**
 * Mirrors a client's connection (`live`, `polling`, `backoff`, `paused`, `offline`, and
 * whether what it shows may be out of date) into its host, re-rendering it on each
 * change. Listens only while the host is connected.
 *
 * @example
 * #connection = new ConnectionController(this);
 * willUpdate() { this.#connection.client = this.client; }
 * render() { return this.#connection.stale ? html`Reconnecting…` : nothing; }
 */
export class ConnectionController implements ReactiveController {
  /** The client's current connection state; `paused` without a client. */
  get state(): ConnectionState {
    return this.#client?.connection.state ?? 'paused';
  }

  /**
   * True while what the client delivers may be out of date: the stream is down and polls
   * fail, or the server cannot be reached. False without a client.
   */
  get stale(): boolean {
    return this.#client?.connection.stale ?? false;
  }

  /** When the client last knew it was up to date (its clock's ms); null before the first time or without a client. */
  get lastUpdateAt(): number | null {
    return this.#client?.connection.lastUpdateAt ?? null;
  }

  /** The client to observe. */
  get client(): JobStatusClient | undefined {
    return this.#client;
  }
  set client(client: JobStatusClient | undefined) {
    if (client === this.#client) return;
    this.#listen(false);
    this.#client = client;
    if (this.#connected) this.#listen(true);
    this.#host.requestUpdate();
  }

  readonly #host: ReactiveControllerHost;
  #client: JobStatusClient | undefined;
  #connected = false;
  readonly #onChange = () => this.#host.requestUpdate();

  constructor(host: ReactiveControllerHost) {
    (this.#host = host).addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    this.#listen(true);
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#listen(false);
  }

  #listen(on: boolean) {
    this.#client?.connection[on ? 'addEventListener' : 'removeEventListener']('change', this.#onChange);
  }
}
