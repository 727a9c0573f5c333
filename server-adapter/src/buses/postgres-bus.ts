import pg from 'pg';
import { jsonLineLogger } from '../options.js';
import type { JobStatusLogger } from '../options.js';
import type { BusMessage, JobBus } from './bus.js';
import { isBusMessage, settleSend } from './envelope.js';

export interface PostgresBusOptions {
  /** A `postgres://` URL. The bus opens one listening connection and a small pool for NOTIFY. */
  connectionString?: string;
  /** A pool the app already has (give this or `connectionString`); NOTIFY uses it, and LISTEN a client made with its settings. */
  pool?: pg.Pool;
  /** The LISTEN/NOTIFY channel: letters, digits and `_`. Default `job_status`. */
  channel?: string;
  /** Where outages and reconnects are reported (once each). Default: JSON lines. */
  logger?: JobStatusLogger;
}

/** A {@link JobBus} over PostgreSQL LISTEN/NOTIFY, with the state of its listening connection. */
export interface PostgresBus extends JobBus {
  /** True while the listening connection is up. */
  readonly connected: boolean;
}

/** NOTIFY refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;
const MAX_BACKOFF_MS = 5000;

/**
 * Fans job changes out between instances with PostgreSQL's LISTEN/NOTIFY: for apps that
 * run PostgreSQL and no Redis. Behaves like `redisBus`: each instance delivers its own
 * changes at once and ignores its echo; a change too large for a notification (over
 * 8000 bytes, such as a job with a big `result`), the text of log lines too large for
 * one (the notification then says only how far the log goes) and anything sent while the
 * listening connection is down reach other instances' streams from the store instead.
 * The listening connection reconnects by itself (backoff up to 5 s).
 *
 * @example
 * import { postgresStore, postgresBus } from '@job-status/hono/postgres'
 * const url = process.env.DATABASE_URL
 * const jobs = createJobStatus({ store: postgresStore({ connectionString: url }), bus: postgresBus({ connectionString: url }), authorize })
 */
export function postgresBus(options: PostgresBusOptions): PostgresBus {
  if (!options || (typeof options.connectionString !== 'string' || !options.connectionString) === !options.pool) {
    throw new TypeError('job-status: postgresBus needs either a `connectionString` or a `pool` (not both)');
  }
  const channel = options.channel ?? 'job_status';
  if (typeof channel !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(channel)) {
    throw new TypeError(`job-status: postgresBus \`channel\` must be 1 to 63 letters, digits or "_", not starting with a digit (got ${JSON.stringify(channel)})`);
  }
  return new PostgresJobBus(options, channel);
}

class PostgresJobBus implements PostgresBus {
  readonly #channel: string;
  readonly #logger: JobStatusLogger;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #clientConfig: pg.ClientConfig;
  readonly #listeners = new Set<(message: BusMessage) => void>();
  readonly #origin = crypto.randomUUID();
  #client: pg.Client | null = null;
  #connected = false;
  #down = false;
  #closed = false;
  #retryMs = 250;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: PostgresBusOptions, channel: string) {
    this.#channel = channel;
    this.#logger = options.logger ?? jsonLineLogger;
    this.#ownsPool = !options.pool;
    this.#pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 2 });
    if (this.#ownsPool) this.#pool.on('error', (error) => this.#outage(error));
    this.#clientConfig = options.pool ? (options.pool as unknown as { options: pg.ClientConfig }).options : { connectionString: options.connectionString };
    void this.#listen();
  }

  get connected() {
    return this.#connected;
  }

  async #listen() {
    if (this.#closed) return;
    const client = new pg.Client(this.#clientConfig);
    this.#client = client;
    const lost = (error?: Error) => {
      if (this.#client !== client) return;
      this.#client = null;
      this.#connected = false;
      this.#outage(error ?? new Error('the listening connection ended'));
      client.end().catch(() => undefined);
      this.#retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (note) => {
      if (note.channel === this.#channel && note.payload) this.#receive(note.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
      if (this.#client !== client) return;
      this.#connected = true;
      this.#retryMs = 250;
      if (this.#down) {
        this.#down = false;
        this.#logger.info({ event: 'bus.reconnected' }, 'job-status: the Postgres bus is listening again');
      }
    } catch (error) {
      lost(error as Error);
    }
  }

  #retry() {
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#listen();
    }, this.#retryMs);
    this.#retryTimer.unref?.();
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_BACKOFF_MS);
  }

  publish(message: BusMessage): void | Promise<void> {
    if (this.#closed) return;
    this.#deliver(message);
    const payload = this.#payload(message);
    if (payload === null) return;
    const sent = this.#pool.query('SELECT pg_notify($1, $2)', [this.#channel, payload]).then(() => undefined);
    return settleSend(sent, message, (error) => this.#outage(error), 'the database is unreachable');
  }

  /**
   * The notification text, or null when it cannot fit: log lines too large travel as their
   * last seq alone (receivers read them from the store), a change too large not at all.
   */
  #payload(message: BusMessage): string | null {
    const payload = JSON.stringify({ origin: this.#origin, message });
    if (Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES) return payload;
    if (message.type !== 'log') return null;
    return JSON.stringify({ origin: this.#origin, message: { ...message, lines: [] } });
  }

  subscribe(listener: (message: BusMessage) => void) {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = null;
    this.#connected = false;
    await client?.end().catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }

  #receive(text: string) {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return;
    }
    const { origin, message } = (envelope ?? {}) as { origin?: unknown; message?: unknown };
    if (origin === this.#origin || !isBusMessage(message)) return;
    this.#deliver(message);
  }

  #deliver(message: BusMessage) {
    for (const listener of this.#listeners) listener(message);
  }

  #outage(error: Error) {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#logger.error({ err: error.message }, 'job-status: the Postgres bus is unreachable; streams on other instances catch up from the store until it returns');
  }
}
