import { Redis } from 'ioredis';
import type { JobStatusLogger } from '../options.js';
import type { BusMessage, JobBus } from './bus.js';
import { NetworkedBus } from './networked-bus.js';

export interface RedisBusOptions {
  /** A `redis://` or `rediss://` URL. The bus opens two connections and closes them on `close()`. */
  url?: string;
  /**
   * A connection the app already has (give this or `url`). The bus publishes on it and
   * subscribes on a duplicate of it; it closes only the duplicate.
   */
  client?: Redis;
  /** The pub/sub channel; apps that share one Redis use one channel per job service. Default `job-status`. */
  channel?: string;
  /** Where outages and reconnects are reported (once each). Default: JSON lines. */
  logger?: JobStatusLogger;
}

/** A {@link JobBus} over Redis pub/sub, with the state of its connections. */
export interface RedisBus extends JobBus {
  /** True while both connections are up; messages published meanwhile reach the other instances. */
  readonly connected: boolean;
}

/**
 * Fans job changes out between instances with Redis pub/sub, so a stream on instance B
 * shows a job that runs on instance A. Each instance delivers its own changes to its own
 * streams at once, without the round trip, and ignores its own echo.
 *
 * Redis keeps no history here, and needs none: when Redis is down, changes are not sent,
 * and streams on other instances read them from the store instead (within one stream
 * heartbeat, and at once on the next change that arrives). The connections reconnect by
 * themselves, with a backoff of at most 2 s. Polling clients never depend on the bus.
 *
 * @example
 * import { redisBus } from '@job-status/hono/redis'
 * const jobs = createJobStatus({ store, bus: redisBus({ url: process.env.REDIS_URL }), authorize })
 */
export function redisBus(options: RedisBusOptions): RedisBus {
  if (!options || (typeof options.url !== 'string' || !options.url) === !options.client) {
    throw new TypeError('job-status: redisBus needs either a `url` or a `client` (not both)');
  }
  const channel = options.channel ?? 'job-status';
  if (typeof channel !== 'string' || !channel || channel.length > 200) {
    throw new TypeError('job-status: redisBus `channel` must be text of 1 to 200 characters');
  }
  return new RedisJobBus(options, channel);
}

class RedisJobBus extends NetworkedBus implements RedisBus {
  readonly #channel: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #ownsPublisher: boolean;

  constructor(options: RedisBusOptions, channel: string) {
    super({ name: 'Redis', unreachable: 'Redis is unreachable', back: 'connected' }, options.logger);
    this.#channel = channel;
    this.#ownsPublisher = !options.client;
    // Without an offline queue a publish during an outage fails at once instead of piling
    // up stale changes in memory: the store has them.
    this.#publisher = options.client ?? new Redis(options.url!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.#subscriber = options.client ? options.client.duplicate() : new Redis(options.url!, { maxRetriesPerRequest: null });
    for (const connection of this.#ownsPublisher ? [this.#publisher, this.#subscriber] : [this.#subscriber]) {
      connection.on('error', (error: Error) => this.outage(error));
      // A dropped connection does not always come with an error (a server that stopped).
      connection.on('close', () => this.outage(new Error('the connection to Redis closed')));
      connection.on('ready', () => this.back());
    }
    this.#subscriber.on('message', (from: string, text: string) => {
      if (from === this.#channel) this.receive(text);
    });
    this.#subscriber.subscribe(this.#channel).catch((error: Error) => this.outage(error));
  }

  get connected() {
    return this.#publisher.status === 'ready' && this.#subscriber.status === 'ready';
  }

  protected send(message: BusMessage): Promise<void> {
    return this.#publisher.status === 'ready'
      ? this.#publisher.publish(this.#channel, this.envelope(message)).then(() => undefined)
      : Promise.reject(new Error(`the Redis connection is ${this.#publisher.status}`));
  }

  protected async end() {
    const end = async (connection: Redis) => {
      if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
      else connection.disconnect();
    };
    await end(this.#subscriber);
    if (this.#ownsPublisher) await end(this.#publisher);
  }
}
