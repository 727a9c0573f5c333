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

// Both set: run as one of several instances (PostgreSQL + Redis). Otherwise SQLite, no other service.
const { DATABASE_URL, REDIS_URL, INSTANCE_ID } = process.env;
const cluster = DATABASE_URL && REDIS_URL ? { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, ...(INSTANCE_ID ? { instanceId: INSTANCE_ID } : {}) } : undefined;
if (!cluster && (DATABASE_URL || REDIS_URL)) {
  console.log(`job-status demo: only ${DATABASE_URL ? 'DATABASE_URL' : 'REDIS_URL'} is set; set both to use PostgreSQL and Redis. Using SQLite.`);
}

const demo = createDemoApp({ dataDir, delayScale, failureRate, ...(cluster ? { cluster } : {}) });
const server = serve({ fetch: demo.app.fetch, port }, (info) => {
  const where = cluster ? `PostgreSQL + Redis, instance ${INSTANCE_ID ?? '(random id)'}` : `data in ${dataDir}`;
  console.log(`job-status demo on http://localhost:${info.port} (${where})`);
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
