import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /**
   * Connections held open at most. Keep it well under the process's file-descriptor limit
   * (`ulimit -n`, often 1 024): past that limit Node can accept nobody, admins included.
   */
  maxConnections: number;
  /** Waiting connections (see below) one client address may hold. */
  maxWaitingPerAddress: number;
  /** How long a connection may take to send its first complete request head, in ms. */
  firstRequestTimeoutMs: number;
  /** How often overdue connections are looked for, in ms. Default 1 000. */
  sweepEveryMs?: number;
  now?: () => number;
}

interface Tracked {
  address: string;
  /** When the connection opened, or its last answer ended: since when it has been waiting on the client. */
  since: number;
  /** The request being answered, or null while the connection waits for one. */
  request: IncomingMessage | null;
  served: boolean;
}

/**
 * Keeps slow or silent clients from holding every connection (slowloris). A connection is
 * *waiting* while the server waits on the client: for a request head, for the rest of a
 * body, or idle between keep-alive requests. One that has sent a whole request and is being
 * answered (an SSE stream, a page being built) is *busy*, and is never closed here.
 *
 * - One address holds at most `maxWaitingPerAddress` waiting connections: past it, its own
 *   longest-waiting one is closed. A flood from one address only pushes out its own members.
 * - Past `maxConnections` in all, the longest-waiting connection is closed (the newcomer
 *   itself when every other one is busy), so the process never runs out of file
 *   descriptors and a new client still gets in.
 * - A connection that sends no complete request head within `firstRequestTimeoutMs` is
 *   closed. Node's own `headersTimeout` starts at the first byte: a connection that sends
 *   nothing would otherwise be held for ever.
 *
 * Returns a function that stops the sweep.
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): () => void {
  const now = options.now ?? Date.now;
  /** Every connection, longest-waiting first (busy ones keep their place and are skipped). */
  const tracked = new Map<Socket, Tracked>();
  const byAddress = new Map<string, Set<Socket>>();

  const waiting = (socket: Socket) => {
    const request = tracked.get(socket)?.request;
    return !request || !request.complete;
  };
  const forget = (socket: Socket) => {
    const state = tracked.get(socket);
    if (!state) return;
    tracked.delete(socket);
    const mine = byAddress.get(state.address)!;
    mine.delete(socket);
    if (!mine.size) byAddress.delete(state.address);
  };
  const drop = (socket: Socket) => {
    forget(socket);
    socket.destroy();
  };
  const firstWaiting = (sockets: Iterable<Socket>) => {
    for (const socket of sockets) if (waiting(socket)) return socket;
    return null;
  };
  /** Moves a connection to the end of both orders: it starts waiting now. */
  const waitFrom = (socket: Socket, state: Tracked) => {
    state.since = now();
    state.request = null;
    tracked.delete(socket);
    tracked.set(socket, state);
    const mine = byAddress.get(state.address)!;
    mine.delete(socket);
    mine.add(socket);
  };

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    tracked.set(socket, { address, since: now(), request: null, served: false });
    const mine = byAddress.get(address) ?? new Set<Socket>();
    byAddress.set(address, mine.add(socket));
    socket.once('close', () => forget(socket));

    if (mine.size > options.maxWaitingPerAddress && [...mine].filter(waiting).length > options.maxWaitingPerAddress) drop(firstWaiting(mine)!);
    if (tracked.size > options.maxConnections) drop(firstWaiting(tracked.keys()) ?? socket);
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const state = tracked.get(socket);
    if (!state) return;
    state.request = request;
    state.served = true;
    response.once('close', () => {
      if (state.request === request && tracked.has(socket)) waitFrom(socket, state);
    });
  });

  const sweep = setInterval(() => {
    const deadline = now() - options.firstRequestTimeoutMs;
    for (const [socket, state] of tracked) {
      if (state.since > deadline) break;
      if (!state.served && state.request === null) drop(socket);
    }
  }, options.sweepEveryMs ?? 1000);
  sweep.unref();
  return () => clearInterval(sweep);
}
