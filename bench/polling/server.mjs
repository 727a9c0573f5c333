/**
 * The polling server: `@job-status/hono` as it is published (the plain JavaScript of its
 * `dist/`, built by `run.mjs` first: what an app runs), with the bench's app (`app.mjs`),
 * all in one @hono/node-server process.
 */
import { serve } from '@hono/node-server';
import * as pkg from '@job-status/hono';
import * as sqlite from '@job-status/hono/sqlite';
import { serveCommands, usage } from '../lib/workers.mjs';
import { pollingApp } from './app.mjs';

/** @type {Awaited<ReturnType<typeof pollingApp>> | null} */
let bench = null;
/** @type {ReturnType<typeof serve> | null} */
let server = null;

serveCommands({
  async setup() {
    bench = await pollingApp({ pkg, sqlite });
    server = serve({ fetch: bench.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', () => resolve()));
    return { port: server.address().port, running: bench.running, finished: bench.finished };
  },
  usage: () => usage(),
  async close() {
    server?.closeAllConnections?.();
    server?.close();
    await bench?.close();
  },
});
