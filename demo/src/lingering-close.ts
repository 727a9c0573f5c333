import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

const lingering = Symbol('job-status-demo.lingering');
type LingeringSocket = Socket & { [lingering]?: true };

/**
 * Closes a connection politely when its answer came before its request body was read (a
 * 413): the server sends the answer and its end (FIN), then keeps reading, and throwing
 * away, what the client still sends, for at most `lingerMs`, before it closes the socket.
 * Closing at once would make the kernel answer the client's next bytes with a reset, and
 * a client that is still sending then loses the 413 it was sent. (nginx's `lingering_close`.)
 */
export function lingerOnEarlyClose(server: Server, lingerMs: number): void {
  const current = new WeakMap<Socket, IncomingMessage>();
  server.on('request', (request: IncomingMessage) => {
    const socket = request.socket as LingeringSocket;
    current.set(socket, request);
    if (socket[lingering]) return;
    socket[lingering] = true;
    // Node calls destroySoon() once an answer with `Connection: close` is sent.
    const destroySoon = socket.destroySoon.bind(socket);
    let closing = false;
    socket.destroySoon = () => {
      if (current.get(socket)?.complete !== false || socket.readableEnded) return destroySoon();
      if (closing) return;
      closing = true;
      socket.end();
      const timer = setTimeout(() => socket.destroy(), lingerMs);
      timer.unref();
      socket.once('end', () => socket.destroy());
      socket.once('close', () => clearTimeout(timer));
    };
  });
}
