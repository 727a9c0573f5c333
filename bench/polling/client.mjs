/**
 * A polling load client: keep-alive HTTP/1.1 connections over raw `node:net` sockets,
 * one request in flight per connection, the request bytes prepared once. Much cheaper
 * per request than node:http's client, so the server, not the client, is what runs out
 * of CPU; the client still reports its own CPU.
 */
import net from 'node:net';
import { Histogram } from '../lib/histogram.mjs';
import { serveCommands, usage } from '../lib/workers.mjs';

const HEAD_END = Buffer.from('\r\n\r\n');
const CHUNK_END = Buffer.from('\r\n0\r\n\r\n');

/** Runs one connection's request loop until `deadline`; resolves with its counts. */
function lane({ port, request, deadline, hist, statuses, recordAfter }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let buffer = Buffer.alloc(0);
    let sentAt = 0;
    let requests = 0;
    const send = () => {
      if (performance.now() >= deadline) {
        socket.end();
        return resolve(requests);
      }
      sentAt = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      const head = buffer.indexOf(HEAD_END);
      if (head < 0) return;
      const text = buffer.toString('latin1', 0, head);
      const status = Number(text.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(text);
      let end;
      if (length) end = head + 4 + Number(length[1]);
      else if (/\r\ntransfer-encoding: *chunked/i.test(text)) {
        const tail = buffer.indexOf(CHUNK_END, head);
        end = tail < 0 ? Infinity : tail + CHUNK_END.length;
      } else end = head + 4;
      if (buffer.length < end) return;
      buffer = buffer.subarray(end);
      const now = performance.now();
      if (now >= recordAfter) {
        hist.record(now - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
        requests++;
      }
      send();
    });
  });
}

serveCommands({
  /** Warms up for `warmupMs`, then measures for `durationMs`; returns requests, statuses, latency and CPU. */
  async load({ port, path, headers = {}, connections, warmupMs, durationMs }) {
    const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: keep-alive'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
    const hist = new Histogram();
    const statuses = {};
    const start = performance.now();
    const recordAfter = start + warmupMs;
    const deadline = recordAfter + durationMs;
    let before = null;
    const mark = setTimeout(() => (before = usage()), warmupMs);
    const counts = await Promise.all(Array.from({ length: connections }, () => lane({ port, request, deadline, hist, statuses, recordAfter })));
    clearTimeout(mark);
    const after = usage();
    const requests = counts.reduce((a, b) => a + b, 0);
    return { requests, statuses, hist: hist.toJSON(), before, after, seconds: (performance.now() - recordAfter) / 1000 };
  },
});
