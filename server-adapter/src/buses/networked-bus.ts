import { jsonLineLogger } from '../options.js';
import type { JobStatusLogger } from '../options.js';
import type { BusMessage, JobBus } from './bus.js';
import { isBusMessage, settleSend } from './envelope.js';

/** How a networked bus names itself in its logs and in the 503 a cancel gets during an outage. */
export interface NetworkedBusWords {
  /** `Redis`, `Postgres`: in "the Redis bus is unreachable". */
  name: string;
  /** Why a cancel could not reach the other instances ("Redis is unreachable"). */
  unreachable: string;
  /** What the bus does again once its connection is back ("connected", "listening"). */
  back: string;
}

/**
 * The half every networked bus shares, whatever carries its messages: the listeners of this
 * instance, the envelope that tells this instance's echo apart from the others' messages,
 * the shape check of what arrives, and the outage and reconnect notices (once each). A
 * subclass only moves envelopes over its transport: it implements {@link send}, {@link end}
 * and `connected`, calls {@link receive} with the text that arrives, {@link outage} when its
 * connection fails and {@link back} when it is up again.
 */
export abstract class NetworkedBus implements JobBus {
  readonly #listeners = new Set<(message: BusMessage) => void>();
  /** Tells this instance's messages apart from the others' when the transport echoes them back. */
  readonly #origin = crypto.randomUUID();
  readonly #logger: JobStatusLogger;
  readonly #words: NetworkedBusWords;
  #down = false;
  #closed = false;

  constructor(words: NetworkedBusWords, logger: JobStatusLogger | undefined) {
    this.#words = words;
    this.#logger = logger ?? jsonLineLogger;
  }

  abstract get connected(): boolean;

  /**
   * Sends the message to the other instances (wrapped by {@link envelope}); `null` when it
   * sends nothing because the other instances read it from the store.
   */
  protected abstract send(message: BusMessage): Promise<void> | null;

  /** Closes the connections this bus opened; called once. */
  protected abstract end(): Promise<void>;

  publish(message: BusMessage): void | Promise<void> {
    if (this.#closed) return;
    this.#deliver(message);
    const sent = this.send(message);
    if (sent === null) return;
    return settleSend(sent, message, (error) => this.outage(error), this.#words.unreachable);
  }

  subscribe(listener: (message: BusMessage) => void) {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.end();
  }

  protected get closed() {
    return this.#closed;
  }

  /** The text that carries a message to the other instances. */
  protected envelope(message: BusMessage): string {
    return JSON.stringify({ origin: this.#origin, message });
  }

  /** Delivers a message another instance sent; ignores this instance's echo and whatever is not a bus message. */
  protected receive(text: string) {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return; // not ours
    }
    const { origin, message } = (envelope ?? {}) as { origin?: unknown; message?: unknown };
    if (origin === this.#origin || !isBusMessage(message)) return;
    this.#deliver(message);
  }

  protected outage(error: Error) {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#logger.error(
      { err: error.message },
      `job-status: the ${this.#words.name} bus is unreachable; streams on other instances catch up from the store until it returns`,
    );
  }

  /** Reports the end of an outage once the bus is connected again. */
  protected back() {
    if (!this.#down || !this.connected) return;
    this.#down = false;
    this.#logger.info({ event: 'bus.reconnected' }, `job-status: the ${this.#words.name} bus is ${this.#words.back} again`);
  }

  #deliver(message: BusMessage) {
    for (const listener of this.#listeners) listener(message);
  }
}
