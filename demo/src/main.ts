import { serve } from '@hono/node-server';
import { resolve } from 'node:path';
import { createDemoApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const dataDir = resolve(process.env.DATA_DIR ?? './data');
const delayScale = Number(process.env.DEMO_DELAY_SCALE ?? 1);
const failureRate = process.env.DEMO_FAILURE_RATE === undefined ? 0.1 : Number(process.env.DEMO_FAILURE_RATE);
for (const [name, value] of Object.entries({ PORT: port, DEMO_DELAY_SCALE: delayScale, DEMO_FAILURE_RATE: failureRate })) {
  if (!Number.isFinite(value) || value < 0) {
    console.error(`job-status demo: ${name} must be a non-negative number`);
    process.exit(1);
  }
}

const demo = createDemoApp({ dataDir, delayScale, failureRate });
const server = serve({ fetch: demo.app.fetch, port }, (info) => {
  console.log(`job-status demo on http://localhost:${info.port} (data in ${dataDir})`);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  server.close();
  await demo.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
