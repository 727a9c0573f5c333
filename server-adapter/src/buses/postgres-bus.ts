import pg from 'pg';
import type { JobStatusLogger } from '../options.js';
import { checkConnection, postgresName } from '../stores/postgres/connection.js';
import type { BusMessage, JobBus } from './bus.js';
import { NetworkedBus } from './networked-bus.js';

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
  checkConnection(options, 'postgresBus');
  return new PostgresJobBus(options, postgresName(options.channel ?? 'job_status', 'postgresBus', 'channel'));
}

class PostgresJobBus extends NetworkedBus implements PostgresBus {
  readonly #channel: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #clientConfig: pg.ClientConfig;
  #client: pg.Client | null = null;
  #connected = false;
  #retryMs = 250;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: PostgresBusOptions, channel: string) {
    super({ name: 'Postgres', unreachable: 'the database is unreachable', back: 'listening' }, options.logger);
    this.#channel = channel;
    this.#ownsPool = !options.pool;
    this.#pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 2 });
    if (this.#ownsPool) this.#pool.on('error', (error) => this.outage(error));
    this.#clientConfig = options.pool ? (options.pool as unknown as { options: pg.ClientConfig }).options : { connectionString: options.connectionString };
    void this.#listen();
  }

  get connected() {
    return this.#connected;
  }

  async #listen() {
    if (this.closed) return;
    const client = new pg.Client(this.#clientConfig);
    this.#client = client;
    const lost = (error?: Error) => {
      if (this.#client !== client) return;
      this.#client = null;
      this.#connected = false;
      this.outage(error ?? new Error('the listening connection ended'));
      client.end().catch(() => undefined);
      this.#retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (note) => {
      if (note.channel === this.#channel && note.payload) this.receive(note.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
      if (this.#client !== client) return;
      this.#connected = true;
      this.#retryMs = 250;
      this.back();
    } catch (error) {
      lost(error as Error);
    }
  }

  #retry() {
    if (this.closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#listen();
    }, this.#retryMs);
    this.#retryTimer.unref?.();
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_BACKOFF_MS);
  }

  protected send(message: BusMessage): Promise<void> | null {
    const payload = this.#payload(message);
    if (payload === null) return null;
    return this.#pool.query('SELECT pg_notify($1, $2)', [this.#channel, payload]).then(() => undefined);
  }

  /**
   * The notification text, or null when it cannot fit: log lines too large travel as their
   * last seq alone (receivers read them from the store), a change too large not at all.
   */
  #payload(message: BusMessage): string | null {
    const payload = this.envelope(message);
    if (Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES) return payload;
    if (message.type !== 'log') return null;
    return this.envelope({ ...message, lines: [] });
  }

  protected async end() {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = null;
    this.#connected = false;
    await client?.end().catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }
}
