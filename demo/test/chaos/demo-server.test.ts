import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoApp, MAX_BODY_BYTES } from '../../src/app.js';
import { startDemoServer } from '../../src/server.js';
import { DemoServer } from '../e2e/harness.js';
import { pick, printReport, sleep, waitUntil } from './support/chaos.js';
import { memoryOf } from './support/server-process.js';
import { cookieOf, exchange, openStream, parseAnswer, requestHead } from './support/raw-http.js';
import type { RawStream } from './support/raw-http.js';
import type { SlowlorisOptions } from './support/slowloris.js';

/**
 * Issue 13, finding 9: the demo's own server against anonymous abuse. A huge body on the
 * login form, a slowloris flood under the common 1 024 file limit, connections that send
 * nothing or send their request slowly, and where the server listens by default. Through
 * all of it an admin signs in, loads pages and keeps the stream already open.
 */
const MiB = 1024 * 1024;
const BIG_BODY = 200 * MiB;
const FLOOD = 2000;
const HOLD_MS = pick(3000, 30_000);

const DEMO = fileURLToPath(new URL('../..', import.meta.url));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startDemo(options: ConstructorParameters<typeof DemoServer>[1] = {}) {
  const server = new DemoServer(0.05, options);
  cleanups.push(() => server.stop());
  await server.start();
  return server;
}

/** Signs in as admin on a connection of its own; returns the cookie, or null when the server could not be reached. */
async function signIn(port: number, timeoutMs = 10_000): Promise<string | null> {
  const body = 'user=admin';
  const answer = await exchange(port, requestHead('POST', '/login', port, { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length }) + body, timeoutMs);
  return answer.status === 303 ? cookieOf(answer) : null;
}

async function enqueuePush(port: number, cookie: string): Promise<string> {
  const body = JSON.stringify({ kind: 'sync.push', target: 'peer-a' });
  const answer = await exchange(
    port,
    requestHead('POST', '/api/admin/jobs', port, { cookie, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) + body,
    60_000,
  );
  expect(answer.status).toBe(202);
  return (JSON.parse(answer.body) as { job_id: string }).job_id;
}

/** Posts `bytes` of form body to /login on one connection, as fast as the server takes it. */
function postHugeBody(port: number, bytes: number, chunked: boolean) {
  return new Promise<{ status: number | 'closed'; head: string; sent: number }>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const framing: Record<string, string | number> = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': bytes };
    socket.write(requestHead('POST', '/login', port, { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded', ...framing }));
    const piece = Buffer.alloc(MiB, 'a');
    piece.write('user=admin&padding=');
    let sent = 0;
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const pump = () => {
      while (sent < bytes && !socket.destroyed) {
        const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        sent += piece.length;
        if (!socket.write(sent >= bytes && chunked ? Buffer.concat([frame, Buffer.from('0\r\n\r\n')]) : frame)) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', pump);
    socket.on('close', () => resolve({ ...parseAnswer(text), sent }));
    // A server that took the whole body and answered keeps the connection: stop there.
    const poll = setInterval(() => {
      if (sent >= bytes && parseAnswer(text).status !== 'closed') socket.end();
    }, 100);
    socket.on('close', () => clearInterval(poll));
  });
}

interface FloodCounts {
  opened: number;
  closedByServer: number;
  open: number;
}

/** Starts `support/slowloris-main.ts` (the attack, in a process of its own) against the port. */
function startFlood(port: number, options: SlowlorisOptions) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/chaos/support/slowloris-main.ts', JSON.stringify({ port, ...options })], { cwd: DEMO, stdio: ['ignore', 'pipe', 'inherit'] });
  let counts: FloodCounts = { opened: 0, closedByServer: 0, open: 0 };
  createInterface({ input: child.stdout! }).on('line', (line) => (counts = JSON.parse(line) as FloodCounts));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    return counts;
  };
  cleanups.push(stop);
  return { counts: () => counts, stop };
}

/** Whether something on this machine accepts a TCP connection at address:port. */
function reachable(address: string, port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, address);
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the demo server (issue 13, finding 9)', () => {
  describe('when a body is larger than any route reads', () => {
    it('answers the login form 413 with Connection: close, before reading it', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'job-status-limits-'));
      const demo = createDemoApp({ dataDir, delayScale: 0.01, failureRate: 0, logger: { info: () => undefined, error: () => undefined } });
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => demo.close());
      const form = `user=admin&padding=${'a'.repeat(MAX_BODY_BYTES)}`;
      for (const path of ['/login', '/logout', '/admin/dedalus/key', '/api/admin/jobs']) {
        const response = await demo.app.request(path, { method: 'POST', body: form, headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' } });
        expect(response.status, path).toBe(413);
        expect(response.headers.get('connection'), path).toBe('close');
        expect(await response.json(), path).toMatchObject({ error: { code: 'payload_too_large' } });
      }
      // Within the bound, the same form signs in.
      const ok = await demo.app.request('/login', { method: 'POST', body: 'user=admin', headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' } });
      expect(ok.status).toBe(303);
    });

    it('keeps its memory while 200 MB bodies are posted to the login form, with a length or chunked', async () => {
      const server = await startDemo();
      const pid = server.pid!;
      expect(await signIn(server.port)).not.toBeNull();
      const before = memoryOf(pid);
      const declared = await postHugeBody(server.port, BIG_BODY, false);
      const chunked = await postHugeBody(server.port, BIG_BODY, true);
      const after = memoryOf(pid);
      // The server is still there for everyone else.
      const cookie = await signIn(server.port);
      printReport('demo: 200 MB bodies on POST /login', {
        'declared length': { answer: declared.status, 'MiB sent before the server closed': (declared.sent / MiB).toFixed(0) },
        chunked: { answer: chunked.status, 'MiB sent before the server closed': (chunked.sent / MiB).toFixed(0) },
        'server memory (MiB)': { 'RSS before': before.rss.toFixed(1), 'RSS after': after.rss.toFixed(1), 'peak (VmHWM) before': before.peak.toFixed(1), 'peak (VmHWM) after': after.peak.toFixed(1) },
      });
      expect(declared.status).toBe(413);
      expect(declared.head).toMatch(/^connection: close/im);
      expect(chunked.status).toBe(413);
      expect(after.peak - before.peak).toBeLessThan(64);
      expect(cookie).not.toBeNull();
    });
  });

  it('listens on 127.0.0.1 only unless HOST says otherwise', async (context) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
    if (!external) {
      console.log('skipped: this machine has no network address besides loopback to try');
      context.skip();
      return;
    }
    const local = await startDemo();
    expect(await reachable('127.0.0.1', local.port)).toBe(true);
    expect(await reachable(external, local.port)).toBe(false);
    const everywhere = await startDemo({ env: { HOST: '0.0.0.0' } });
    expect(await reachable(external, everywhere.port)).toBe(true);
  });

  describe('when 2 000 slow anonymous connections are held, under a 1 024 file limit', () => {
    const scenarios = [
      // One machine that reopens each connection 0.25 s after the server closes it.
      { name: 'from one address', from: ['127.0.0.2'], reconnectMs: 250 },
      // Many machines, each holding a few, reopening after 1 s.
      { name: 'from 250 addresses', from: Array.from({ length: 250 }, (_, i) => `127.0.${1 + (i >> 8)}.${(i % 256) + 1}`), reconnectMs: 1000 },
    ];
    it.each(scenarios)('$name: lets an admin sign in, load pages and enqueue, and keeps the stream the admin had open', async ({ name, from, reconnectMs }) => {
      const server = await startDemo({ fileLimit: 1024 });
      const port = server.port;
      const before = await signIn(port);
      expect(before).not.toBeNull();
      const stream = openStream(port, '/api/admin/jobs/events', { cookie: before! });
      expect(await waitUntil(() => stream.text.startsWith('HTTP/1.1 200'), 10_000)).toBe(true);

      const flood = startFlood(port, { connections: FLOOD, reconnectMs, trickleMs: 2000, from });
      expect(await waitUntil(() => flood.counts().opened >= FLOOD, 20_000)).toBe(true);
      const floodStartedAt = Date.now();
      const rounds: Array<{ signIn: number | null; page: number | 'closed'; enqueue: string | null }> = [];
      let streamed = 0;
      do {
        const startedAt = Date.now();
        const cookie = await signIn(port, 60_000);
        const signInMs = cookie ? Date.now() - startedAt : null;
        const page = cookie ? (await exchange(port, requestHead('GET', '/admin/jobs', port, { cookie }), 60_000)).status : 'closed';
        const jobId = cookie ? await enqueuePush(port, cookie) : null;
        if (jobId && (await waitUntil(() => stream.text.includes(jobId), 10_000))) streamed += 1;
        rounds.push({ signIn: signInMs, page, enqueue: jobId });
        await sleep(500);
      } while (Date.now() - floodStartedAt < HOLD_MS);
      const counts = await flood.stop();

      printReport(`demo: slowloris of ${FLOOD} connections ${name} (ulimit -n 1024, default limits)`, {
        flood: { 'connections opened (with reopens)': counts.opened, 'closed by the server': counts.closedByServer, 'open at the end (client side)': counts.open },
        admin: {
          rounds: rounds.length,
          'sign-ins that worked': rounds.filter((r) => r.signIn !== null).length,
          'sign-in time, ms (each round)': rounds.map((r) => r.signIn ?? 'failed').join(', '),
          'pages loaded (200)': rounds.filter((r) => r.page === 200).length,
          'jobs seen on the stream opened before the flood': streamed,
        },
      });
      expect(rounds.every((r) => r.signIn !== null && r.page === 200 && r.enqueue !== null)).toBe(true);
      expect(streamed).toBe(rounds.length);
      expect(stream.closed).toBe(false);
      stream.socket.destroy();
    });
  });

  describe('timeouts and the connection cap', () => {
    async function startInProcess(options: Partial<Parameters<typeof startDemoServer>[0]>) {
      const dataDir = mkdtempSync(join(tmpdir(), 'job-status-timeouts-'));
      const demo = createDemoApp({ dataDir, delayScale: 0.01, failureRate: 0, heartbeatMs: 60_000, logger: { info: () => undefined, error: () => undefined } });
      const server = await startDemoServer({ fetch: demo.app.fetch, port: 0, ...options });
      cleanups.push(
        () => rmSync(dataDir, { recursive: true, force: true }),
        () => demo.close(),
        () => server.close(),
      );
      return server.address.port;
    }
    const openSockets = (port: number, count: number, first: string) =>
      Array.from({ length: count }, () => {
        const socket = connect(port, '127.0.0.1');
        const state = { socket, closedAt: 0 };
        socket.on('error', () => undefined);
        socket.on('close', () => (state.closedAt = Date.now()));
        if (first) socket.write(first);
        return state;
      });

    it('closes connections that send nothing, a head too slowly or a body too slowly, but not an admin stream', async () => {
      const port = await startInProcess({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
      const cookie = (await signIn(port))!;
      const stream = openStream(port, '/api/admin/jobs/events', { cookie });
      const startedAt = Date.now();
      const [silent] = openSockets(port, 1, '');
      const [slowHead] = openSockets(port, 1, 'GET / HTTP/1.1\r\n');
      const [slowBody] = openSockets(port, 1, requestHead('POST', '/login', port, { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': 100 }));
      const trickle = setInterval(() => {
        slowHead!.socket.write('X-A: b\r\n');
        slowBody!.socket.write('a');
      }, 200);
      cleanups.push(() => clearInterval(trickle));
      expect(await waitUntil(() => [silent, slowHead, slowBody].every((s) => s!.closedAt > 0), 10_000)).toBe(true);
      // The stream is older than every timeout and goes on.
      await waitUntil(() => Date.now() - startedAt > 3000, 5000);
      const jobId = await enqueuePush(port, cookie);
      expect(await waitUntil(() => stream.text.includes(jobId), 10_000)).toBe(true);
      expect(stream.closed).toBe(false);
      printReport('demo: server timeouts (head 1 s, request 2 s)', {
        'closed after (ms)': { 'sends nothing': silent!.closedAt - startedAt, 'head, a line every 200 ms': slowHead!.closedAt - startedAt, 'body, a byte every 200 ms': slowBody!.closedAt - startedAt },
        'admin stream': { 'open after (ms)': Date.now() - startedAt },
      });
      stream.socket.destroy();
    });

    it('lets a client that is still sending its body read the 413, instead of a reset', async () => {
      const port = await startInProcess({});
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let reset = false;
      socket.on('error', () => (reset = true));
      await new Promise((resolve) => socket.once('connect', resolve));
      // The client sends a first MiB, reads nothing for a while, then sends more: closing at
      // once would make its kernel drop the answer it had not read yet.
      socket.pause();
      socket.write(requestHead('POST', '/login', port, { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': 4 * MiB }));
      socket.write(Buffer.alloc(MiB, 'a'));
      await sleep(300);
      socket.write(Buffer.alloc(MiB, 'a'));
      await sleep(300);
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.resume();
      await waitUntil(() => socket.destroyed, 10_000);
      socket.destroy();
      expect(reset).toBe(false);
      expect(parseAnswer(text).status).toBe(413);
      expect(parseAnswer(text).head).toMatch(/^connection: close/im);
    });

    it('past its connection cap, closes the longest-waiting anonymous connection, never a busy stream', async () => {
      const port = await startInProcess({ maxConnections: 20 });
      const cookie = (await signIn(port))!;
      const streams: RawStream[] = [];
      for (let i = 0; i < 5; i++) streams.push(openStream(port, '/api/admin/jobs/events', { cookie }));
      expect(await waitUntil(() => streams.every((s) => s.text.startsWith('HTTP/1.1 200')), 10_000)).toBe(true);
      const idle = openSockets(port, 60, '');
      cleanups.push(() => idle.forEach((s) => s.socket.destroy()));
      expect(await waitUntil(() => idle.filter((s) => s.closedAt === 0).length <= 15, 10_000)).toBe(true);
      // The oldest went first: those still open are the newest.
      const open = idle.map((s, index) => (s.closedAt === 0 ? index : -1)).filter((index) => index >= 0);
      expect(Math.min(...open)).toBeGreaterThanOrEqual(60 - 15);
      // A new visitor still gets in, and every stream is still there.
      expect(await signIn(port)).not.toBeNull();
      const jobId = await enqueuePush(port, cookie);
      expect(await waitUntil(() => streams.every((s) => s.text.includes(jobId)), 10_000)).toBe(true);
      expect(streams.every((s) => !s.closed)).toBe(true);
      for (const s of streams) s.socket.destroy();
    });
  });
});
