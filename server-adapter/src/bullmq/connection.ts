import type { ConnectionOptions } from 'bullmq';

/**
 * BullMQ's own connection settings, or a `redis://` / `rediss://` URL. A URL becomes
 * options rather than one shared client, so that every BullMQ object (queue, events,
 * worker) opens the dedicated connection it needs and reconnects by itself.
 */
export type RedisConnection = ConnectionOptions | string;

export function connectionOptions(connection: RedisConnection, who: string): ConnectionOptions {
  if (typeof connection !== 'string') {
    if (!connection || typeof connection !== 'object') throw new TypeError(`job-status: ${who} needs a \`connection\` (a Redis URL or BullMQ connection options)`);
    return connection;
  }
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new TypeError(`job-status: ${who} \`connection\` is not a URL (expected redis://host:port/db)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`job-status: ${who} \`connection\` must be a redis:// or rediss:// URL (got ${url.protocol})`);
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** A queue name BullMQ accepts and Redis keys stay readable with. */
export function queueName(queue: unknown, who: string): string {
  if (typeof queue !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(queue)) {
    throw new TypeError(`job-status: ${who} \`queue\` must be 1 to 100 letters, digits or "_.-" (got ${JSON.stringify(queue)})`);
  }
  return queue;
}
