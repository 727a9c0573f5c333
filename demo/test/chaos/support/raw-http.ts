import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** An answer read off a raw socket: the status (or `closed` when the server hung up first), head and body text. */
export interface RawAnswer {
  status: number | 'closed';
  head: string;
  body: string;
}

/** The request's bytes: the request line and headers, then the body if any. */
export function requestHead(method: string, path: string, port: number, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Sends one request on a connection of its own (never a pooled one: under a flood, a new
 * connection is what a person's next click needs) and reads until the server closes, the
 * answer is whole (`Content-Length`), or `timeoutMs` passes.
 */
export function exchange(port: number, request: string, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(text));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.write(request);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const length = /^content-length: (\d+)/im.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && Buffer.byteLength(text.slice(end + 4)) >= Number(length)) done();
    });
    socket.on('close', done);
  });
}

export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  return { status: status ? Number(status) : 'closed', head: end >= 0 ? text.slice(0, end) : text, body: end >= 0 ? text.slice(end + 4) : '' };
}

/** The `name=value` pairs of an answer's `Set-Cookie` headers, as a `Cookie` header. */
export const cookieOf = (answer: RawAnswer) => [...answer.head.matchAll(/^set-cookie: ([^;\r\n]*)/gim)].map((match) => match[1]).join('; ');

/** A stream (SSE) held open on a raw socket; `text` grows as frames arrive. */
export interface RawStream {
  socket: Socket;
  readonly text: string;
  readonly closed: boolean;
}

export function openStream(port: number, path: string, headers: Record<string, string>): RawStream {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const stream = { socket, text: '', closed: false };
  socket.on('data', (chunk: Buffer) => (stream.text += chunk.toString('utf8')));
  socket.on('close', () => (stream.closed = true));
  socket.write(requestHead('GET', path, port, { accept: 'text/event-stream', ...headers }));
  return stream;
}
