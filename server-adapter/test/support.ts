import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { createParser } from 'eventsource-parser';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatus } from '@job-status/hono';
import type { JobStatusClock, JobStatusOptions, JobStore, Principal } from '@job-status/hono';

/** Records audit lines and internal errors instead of printing them. */
export function quietLogger() {
  const records: Array<Record<string, unknown>> = [];
  const errors: Array<Record<string, unknown>> = [];
  return {
    records,
    errors,
    info: (record: object) => void records.push(record as Record<string, unknown>),
    error: (record: object) => void errors.push(record as Record<string, unknown>),
  };
}

/** A store with some methods replaced; the others go to `inner`. */
export function wrap(inner: JobStore, replaced: Partial<JobStore>): JobStore {
  return new Proxy(inner, {
    get: (target, key: keyof JobStore) => replaced[key] ?? (typeof target[key] === 'function' ? (target[key] as Function).bind(target) : target[key]),
  });
}

/** A promise with its resolve exposed: lets a test hold a job at a precise point. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * A clock the test moves by hand (the `clock` option): the registry's heartbeats, lapse,
 * timeouts and close timeout fire only when `advance` passes them. Stores, HTTP and the
 * bus still take real time; wait for their effects with `until`.
 */
export class ManualClock implements JobStatusClock {
  #now = Date.now();
  #ids = 0;
  readonly #timers = new Map<number, { at: number; ms: number; callback: () => void }>();

  now() {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number) {
    const id = ++this.#ids;
    this.#timers.set(id, { at: this.#now + ms, ms, callback });
    return id;
  }

  clearTimeout(handle: unknown) {
    this.#timers.delete(handle as number);
  }

  /** The delays (as requested, in ms) of the timers still pending. */
  get delays(): number[] {
    return [...this.#timers.values()].map((timer) => timer.ms);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order, then lets their work start. */
  async advance(ms: number) {
    const end = this.#now + ms;
    for (;;) {
      let next: number | undefined;
      for (const [id, timer] of this.#timers) if (timer.at <= end && (next === undefined || timer.at < this.#timers.get(next)!.at)) next = id;
      if (next === undefined) break;
      const { at, callback } = this.#timers.get(next)!;
      this.#timers.delete(next);
      this.#now = at;
      callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = end;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const USERS: Record<string, Principal | false> = {
  admin: { id: 'admin', name: 'Ada Admin' },
  other: { id: 'other', name: 'Otto Other' },
  viewer: false,
};

/** Identifies callers by an `x-user` header or a `user` query parameter (EventSource cannot set headers). */
export const headerAuth: JobStatusOptions['authorize'] = (c) => {
  const user = c.req.header('x-user') ?? c.req.query('user');
  if (!user) return null;
  return USERS[user] ?? null;
};

export function createTestJobs(options: Partial<JobStatusOptions> = {}) {
  const logger = quietLogger();
  const jobs = createJobStatus({ authorize: headerAuth, logger, heartbeatMs: 60_000, ...options });
  const app = new Hono();
  app.route('/jobs', jobs.routes());
  return { jobs, app, logger };
}

export const asAdmin = { 'x-user': 'admin' };
export const json = (body: unknown, headers: Record<string, string> = asAdmin): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Serves an app on a free loopback port. */
export async function listen(app: Hono) {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * A real SSE reader over a real socket: fetches the stream and parses it with
 * eventsource-parser, collecting every event.
 */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: ReceivedEvent[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent: (event) => {
      events.push({ event: event.event ?? 'message', id: event.id, data: event.data });
      for (const wake of waiters) wake();
    },
  });
  let ended = false;
  const done = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted or cut off: the test looks at `ended`
    } finally {
      ended = true;
      for (const wake of waiters) wake();
    }
  })();
  const updates = () =>
    events.filter((e) => e.event === 'job-update').map((e) => ({ ...(JSON.parse(e.data) as JobSnapshot), eventId: e.id }));
  /** Waits until `check` holds, re-checking on every event; fails after `ms`. */
  const until = async (check: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (ended) throw new Error(`stream ended before the condition held; got ${JSON.stringify(events.map((e) => e.event))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; events: ${JSON.stringify(events.map((e) => [e.event, e.id]))}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        waiters.add(wake);
      });
    }
  };
  return {
    response,
    events,
    updates,
    until,
    get ended() {
      return ended;
    },
    close: async () => {
      controller.abort();
      await done;
    },
    done,
  };
}

/** Splits bytes at the given cut points (positions taken modulo the length). */
export function cutBytes(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to > from) parts.push(bytes.subarray(from, to));
    from = Math.max(from, to);
  }
  return parts;
}

/** Waits until `check` returns something truthy, looking again every few milliseconds, and returns it; fails after `ms`. */
export async function until<T>(check: () => T | Promise<T>, ms = 10_000): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${check.toString().slice(0, 200)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
