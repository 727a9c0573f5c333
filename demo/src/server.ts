import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardConnections } from './connection-guard.js';
import { lingerOnEarlyClose } from './lingering-close.js';

export interface DemoServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  /** The interface to listen on. Default 127.0.0.1: this machine only. */
  host?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Connections held open at most (see `guardConnections`). Default 500. */
  maxConnections?: number;
  /** Connections one client address may hold while the server waits on it (see `guardConnections`). Default 64. */
  maxWaitingPerAddress?: number;
  /** Time to receive a request head, in ms, from the connection's start. Default 10 s. */
  headersTimeoutMs?: number;
  /**
   * Time to receive a whole request, head and body, in ms. Default 30 s. It ends when the
   * request is in: an answer that streams for hours (an SSE stream) is not cut by it.
   */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept, in ms. Default 5 s. */
  keepAliveTimeoutMs?: number;
}

/** The defaults, for docs and tests. */
export const SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 3000,
  maxConnections: 500,
  maxWaitingPerAddress: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
});

/** How long a connection closed after an early answer (a 413) still reads what its client sends, in ms. */
const LINGER_MS = 2000;

export interface DemoServer {
  server: Server;
  address: AddressInfo;
  /** Stops listening and closes every connection, streams included. */
  close(): Promise<void>;
}

/**
 * The demo's HTTP server: Node's, with the timeouts and the connection cap that keep a
 * flood of slow anonymous clients (slowloris) from locking admins out. Node's defaults
 * (60 s for a request head, checked every 30 s, 5 min for a request, no cap, and no limit
 * at all for a connection that sends nothing) let 2 000 such clients hold every file
 * descriptor of a process limited to 1 024.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const settings = { ...SERVER_DEFAULTS, ...definedOnly(options) };
  const server = createAdaptorServer({
    fetch: options.fetch,
    serverOptions: {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // Node checks the two timeouts above this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, settings.headersTimeoutMs),
    },
  }) as Server;
  const stopGuard = guardConnections(server, {
    maxConnections: settings.maxConnections,
    maxWaitingPerAddress: settings.maxWaitingPerAddress,
    firstRequestTimeoutMs: settings.headersTimeoutMs,
    sweepEveryMs: Math.min(1000, settings.headersTimeoutMs),
  });
  lingerOnEarlyClose(server, LINGER_MS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        stopGuard();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const definedOnly = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
