import { resolve } from 'node:path';
import { createDemoApp } from './app.js';
import { SERVER_DEFAULTS, startDemoServer } from './server.js';

const host = process.env.HOST || SERVER_DEFAULTS.host;
const port = Number(process.env.PORT ?? SERVER_DEFAULTS.port);
const maxConnections = Number(process.env.MAX_CONNECTIONS ?? SERVER_DEFAULTS.maxConnections);
const dataDir = resolve(process.env.DATA_DIR ?? './data');
const delayScale = Number(process.env.DEMO_DELAY_SCALE ?? 1);
const failureRate = process.env.DEMO_FAILURE_RATE === undefined ? 0.1 : Number(process.env.DEMO_FAILURE_RATE);
for (const [name, value] of Object.entries({ PORT: port, DEMO_DELAY_SCALE: delayScale, DEMO_FAILURE_RATE: failureRate })) {
  if (!Number.isFinite(value) || value < 0) {
    console.error(`job-status demo: ${name} must be a non-negative number`);
    process.exit(1);
  }
}
if (!Number.isInteger(maxConnections) || maxConnections < 1) {
  console.error('job-status demo: MAX_CONNECTIONS must be a whole number of at least 1');
  process.exit(1);
}

// Both set: run as one of several instances (PostgreSQL + Redis). Otherwise SQLite, no other service.
const { DATABASE_URL, REDIS_URL, INSTANCE_ID } = process.env;
const cluster = DATABASE_URL && REDIS_URL ? { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, ...(INSTANCE_ID ? { instanceId: INSTANCE_ID } : {}) } : undefined;
if (!cluster && (DATABASE_URL || REDIS_URL)) {
  console.log(`job-status demo: only ${DATABASE_URL ? 'DATABASE_URL' : 'REDIS_URL'} is set; set both to use PostgreSQL and Redis. Using SQLite.`);
}

const demo = createDemoApp({ dataDir, delayScale, failureRate, ...(cluster ? { cluster } : {}) });
const server = await startDemoServer({ fetch: demo.app.fetch, host, port, maxConnections }).catch((error: NodeJS.ErrnoException) => {
  console.error(`job-status demo: cannot listen on ${host}:${port} (${error.code ?? error.message})`);
  process.exit(1);
});
const where = cluster ? `PostgreSQL + Redis, instance ${INSTANCE_ID ?? '(random id)'}` : `data in ${dataDir}`;
const everyInterface = host === '0.0.0.0' || host === '::';
const loopback = everyInterface || ['127.0.0.1', '::1', 'localhost'].includes(host);
const url = `http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${server.address.port}`;
const reach = everyInterface ? `every interface (HOST=${host})` : loopback ? 'this machine only; HOST=0.0.0.0 listens on every interface' : `HOST=${host}`;
console.log(`job-status demo on ${url} (${where}; ${reach})`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  await demo.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
