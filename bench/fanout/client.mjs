/**
 * A fan-out load client: holds many SSE subscribers over plain `node:http`, parses each
 * stream with eventsource-parser, and records, for the current run, how many stamped
 * events arrived and how long after their emit time. It reports its own CPU, so a
 * saturated client is visible as such.
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';
import { Histogram } from '../lib/histogram.mjs';
import { serveCommands, usage, wallNow } from '../lib/workers.mjs';

/** @type {Array<{index: number, path: string, job: string | null, req: any, ready: boolean, open: boolean, lastSeq: number}>} */
let subs = [];
let port = 0;
let run = null;
let hist = new Histogram();
let received = 0;
let stale = 0;
let duplicates = 0;
let firstAt = null;
let lastAt = null;
let closedDuringRun = 0;
let watching = {};

function onEvent(sub, event) {
  if (event.event === 'ready') {
    sub.ready = true;
    sub.onReady?.();
    return;
  }
  if (event.event !== 'job-update') return;
  const data = event.data;
  const k = data.indexOf('"phase":"t:');
  if (k < 0) return;
  const now = wallNow();
  const colon = data.indexOf(':', k + 11);
  if (data.slice(k + 11, colon) !== run) {
    stale++;
    return;
  }
  const at = Number(data.slice(colon + 1, data.indexOf('"', colon + 1)));
  const seq = event.id ? Number(event.id.slice(event.id.lastIndexOf('-') + 1)) : 0;
  if (seq && seq <= sub.lastSeq) duplicates++;
  else sub.lastSeq = seq;
  received++;
  hist.record(now - at);
  firstAt ??= now;
  lastAt = now;
}

/** Opens one stream; resolves true once the server has sent `ready`, false on failure. */
function open(sub, timeoutMs) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok, why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!ok) {
        sub.error = why;
        sub.req?.destroy();
      }
      resolve(ok);
    };
    const timer = setTimeout(() => settle(false, 'timeout'), timeoutMs);
    sub.ready = false;
    sub.open = true;
    sub.onReady = () => settle(true);
    const req = http.get({
      host: '127.0.0.1',
      port,
      path: sub.path,
      agent: false,
      headers: { accept: 'text/event-stream', 'x-bench-sub': `sub-${sub.index}` },
    });
    sub.req = req;
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return settle(false, `HTTP ${res.statusCode}`);
      }
      res.setEncoding('utf8');
      const parser = createParser({ onEvent: (event) => onEvent(sub, event) });
      res.on('data', (chunk) => parser.feed(chunk));
      res.on('close', () => {
        if (sub.open && run !== null && sub.ready) closedDuringRun++;
        sub.open = false;
        settle(false, 'closed');
      });
    });
    req.on('error', (error) => {
      sub.open = false;
      settle(false, error.code ?? error.message);
    });
  });
}

async function openAll(list, concurrency, timeoutMs) {
  let next = 0;
  let connected = 0;
  const errors = {};
  const lane = async () => {
    while (next < list.length) {
      const sub = list[next++];
      if (await open(sub, timeoutMs)) connected++;
      else errors[sub.error] = (errors[sub.error] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, lane));
  return { connected, failed: list.length - connected, errors };
}

serveCommands({
  /** `subs`: [{index, path, job}] — job is the watched job id, or null for "every job". */
  async connect({ port: serverPort, subs: list, concurrency = 100, timeoutMs = 30_000 }) {
    port = serverPort;
    subs = list.map((s) => ({ ...s, req: null, ready: false, open: false, lastSeq: 0 }));
    return openAll(subs, concurrency, timeoutMs);
  },

  /** Re-opens the streams the server closed (e.g. slow readers cut off in a previous run). */
  async reopen({ concurrency = 100, timeoutMs = 30_000 }) {
    const closed = subs.filter((s) => !s.open || !s.ready);
    const result = await openAll(closed, concurrency, timeoutMs);
    return { ...result, reopened: closed.length };
  },

  begin({ run: id }) {
    run = id;
    hist = new Histogram();
    received = stale = duplicates = closedDuringRun = 0;
    firstAt = lastAt = null;
    watching = {};
    for (const sub of subs) if (sub.open && sub.ready) watching[sub.job ?? '*'] = (watching[sub.job ?? '*'] ?? 0) + 1;
    return { watching: Object.values(watching).reduce((a, b) => a + b, 0), usage: usage() };
  },

  progress: () => ({ received, closedDuringRun }),

  report() {
    return { received, stale, duplicates, firstAt, lastAt, closedDuringRun, watching, hist: hist.toJSON(), usage: usage() };
  },

  end() {
    run = null;
  },

  usage: () => usage(),

  close() {
    for (const sub of subs) {
      sub.open = false;
      sub.req?.destroy();
    }
    subs = [];
  },
});
