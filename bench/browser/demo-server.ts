/** The demo app (demo/src/app.ts) on a free loopback port, with fast jobs that never fail on purpose. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDemoApp } from '../../demo/src/app.ts';
import { serveCommands } from '../lib/workers.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'job-status-bench-demo-'));
let demo: ReturnType<typeof createDemoApp> | null = null;
let server: ReturnType<typeof serve> | null = null;

serveCommands({
  async setup({ delayScale }: { delayScale: number }) {
    demo = createDemoApp({ dataDir, delayScale, failureRate: 0, logger: { info: () => undefined, error: (r) => console.error('demo:', JSON.stringify(r)) } });
    await demo.jobs.ready;
    server = serve({ fetch: demo.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    return { port: (server.address() as AddressInfo).port };
  },
  async close() {
    (server as unknown as { closeAllConnections?: () => void } | null)?.closeAllConnections?.();
    server?.close();
    await demo?.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
});
