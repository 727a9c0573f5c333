import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { asAdmin, createTestJobs, listen } from './support.js';

/**
 * Issue 13, finding 8: every error answer closes or keeps the connection honestly, and a
 * `HEAD /events` holds no stream. Over real sockets: what a client's connection pool sees.
 */
let ctx: ReturnType<typeof createTestJobs>;
let server: Awaited<ReturnType<typeof listen>>;

afterEach(async () => {
  await ctx?.jobs.close();
  await server?.close();
});

async function setup(options: Parameters<typeof createTestJobs>[0] = {}) {
  ctx = createTestJobs(options);
  server = await listen(ctx.app);
}

/** Sends raw bytes on a fresh socket; resolves with everything the server sent and whether it closed the connection. */
function exchange(request: string, body = '') {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(request + body);
  const closed = new Promise<boolean>((resolve) => {
    socket.once('end', () => resolve(true));
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 3000).unref();
  });
  return {
    socket,
    /** The response head once it arrived. */
    head: async () => {
      for (let i = 0; i < 300 && !received.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
      return received.slice(0, received.indexOf('\r\n\r\n')).toLowerCase();
    },
    closed,
    get received() {
      return received;
    },
  };
}

const post = (path: string, headers: Record<string, string>, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}Content-Length: ${length}\r\n\r\n`;

describe('error answers and the connection (issue 13, finding 8)', () => {
  it('answers 413 with Connection: close and closes the socket, so no client reuses it', async () => {
    await setup({ limits: { maxBodyBytes: 1024 } });
    const body = JSON.stringify({ kind: 'x', input: 'y'.repeat(4000) });
    const sent = exchange(post('/jobs', { 'content-type': 'application/json', 'x-user': 'admin', origin: server.url }, body.length), body);
    const head = await sent.head();
    expect(head).toMatch(/^http\/1\.1 413/);
    expect(head).toMatch(/\r\nconnection: close(\r\n|$)/);
    expect(await sent.closed).toBe(true);
  });

  it('answers an error before the body was read (401, 415) with Connection: close', async () => {
    await setup();
    const body = JSON.stringify({ kind: 'x' });
    for (const headers of <Array<Record<string, string>>>[
      { 'content-type': 'application/json' },
      { 'content-type': 'text/plain', 'x-user': 'admin', origin: server.url },
    ]) {
      const sent = exchange(post('/jobs', headers, body.length), body);
      const head = await sent.head();
      expect(head).toMatch(/^http\/1\.1 4(01|15)/);
      expect(head).toMatch(/\r\nconnection: close(\r\n|$)/);
      sent.socket.destroy();
    }
  });

  it('keeps the connection of an error answer to a request whose body was read (400) usable', async () => {
    await setup();
    const body = JSON.stringify({ kind: 'no.such.kind' });
    const request = post('/jobs', { 'content-type': 'application/json', 'x-user': 'admin', origin: server.url }, body.length);
    const second = `GET /jobs/kinds HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nx-user: admin\r\n\r\n`;
    const sent = exchange(request, body + second);
    for (let i = 0; i < 300 && (sent.received.match(/HTTP\/1\.1 /g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sent.received).toMatch(/^HTTP\/1\.1 400/);
    expect(sent.received).toMatch(/HTTP\/1\.1 200 OK[\s\S]*"kinds"/);
    sent.socket.destroy();
  });

  it('answers HEAD /events with the stream headers and no body, holding no stream slot', async () => {
    await setup({ limits: { maxStreamsPerCaller: 1 } });
    const head = await fetch(`${server.url}/jobs/events`, { method: 'HEAD', headers: asAdmin });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(ctx.jobs.streams).toBe(0);
    // The one slot is still free, and the connection is not wedged.
    const controller = new AbortController();
    const get = await fetch(`${server.url}/jobs/events`, { headers: asAdmin, signal: controller.signal });
    expect(get.status).toBe(200);
    controller.abort();
    // HEAD validates like GET.
    expect((await fetch(`${server.url}/jobs/events?state=nope`, { method: 'HEAD', headers: asAdmin })).status).toBe(400);
  });
});
