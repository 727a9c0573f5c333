import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** How the proxy breaks a connection. */
export type CutMode =
  /** Both sides reset at once (RST), as a crashed middlebox or a dropped NAT entry would. */
  | 'reset'
  /** The client gets a FIN mid-stream: the body simply ends, with no closing chunk. */
  | 'end'
  /** The next chunk from the server is cut in half (a frame split mid-line), then both sides reset. */
  | 'mid-frame'
  /** Nothing flows either way for a while (a black hole), then both sides reset. */
  | 'stall';

export const CUT_MODES: readonly CutMode[] = ['reset', 'end', 'mid-frame', 'stall'];

/** One client connection through the proxy. */
export class ProxiedConnection {
  /** Set once a request on it asked for `/events`. */
  stream = false;
  /** Request lines seen from the client, in order (`GET /path`). */
  readonly requests: string[] = [];
  cut: CutMode | null = null;
  /** `mid-frame`: the next chunk from the server goes through half, then the connection resets. */
  #split = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    onRequest: (connection: ProxiedConnection, line: string) => void,
  ) {
    client.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('latin1').matchAll(/(?:^|\r\n)([A-Z]+ \S+) HTTP\/1\.[01]\r\n/g)) {
        const line = match[1]!;
        this.requests.push(line);
        if (/^GET \S*\/events(\?|$)/.test(line)) this.stream = true;
        onRequest(this, line);
      }
      if (!this.cut) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#split) {
        this.#split = false;
        client.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)), () => this.#reset());
      } else if (!this.cut) {
        client.write(chunk);
      }
    });
    const quiet = () => undefined;
    client.on('error', quiet);
    upstream.on('error', quiet);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (!this.cut) client.end();
    });
  }

  get open() {
    return !this.client.destroyed;
  }

  /** Breaks the connection in one of the {@link CutMode}s; `stallMs` bounds a stall. */
  break(mode: CutMode, stallMs = 2000): void {
    if (this.cut || !this.open) return;
    this.cut = mode;
    if (mode === 'reset') {
      this.#reset();
    } else if (mode === 'end') {
      this.upstream.destroy();
      this.client.end();
    } else if (mode === 'mid-frame') {
      this.#split = true;
      // A server that sends nothing for a second is reset anyway.
      setTimeout(() => this.#reset(), 1000).unref();
    } else {
      this.client.pause();
      this.upstream.pause();
      setTimeout(() => this.#reset(), stallMs).unref();
    }
  }

  #reset() {
    this.upstream.destroy();
    if (!this.client.destroyed) this.client.resetAndDestroy();
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of a server, which a test uses to break connections
 * the way networks do: a reset, a FIN mid-body, a frame cut in half, a black hole.
 * `onRequest` sees every request line and decides what to break.
 */
export class ChaosProxy {
  readonly connections = new Set<ProxiedConnection>();
  #server: Server | null = null;
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly onRequest: (connection: ProxiedConnection, line: string) => void = () => undefined,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const connection = new ProxiedConnection(client, upstream, this.onRequest);
      this.connections.add(connection);
      client.on('close', () => this.connections.delete(connection));
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
  }

  /** Stream connections still open. */
  streams(): ProxiedConnection[] {
    return [...this.connections].filter((c) => c.stream && c.open && !c.cut);
  }

  async close(): Promise<void> {
    for (const connection of this.connections) {
      connection.upstream.destroy();
      connection.client.destroy();
    }
    this.connections.clear();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
