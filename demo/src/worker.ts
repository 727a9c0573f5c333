/**
 * The demo's BullMQ worker: builds the reports that the demo instances put on the queue.
 * Run it beside `npm run demo:cluster`'s instances (it starts one), on any machine that
 * reaches the same Redis: `REDIS_URL=redis://… node --conditions=@job-status/source --import tsx src/worker.ts`.
 */
import { createWorker } from '@job-status/hono/bullmq';
import { DEMO_QUEUE, reportHandlers } from './reports.js';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error('job-status demo worker: set REDIS_URL (for example redis://127.0.0.1:6379)');
  process.exit(1);
}
const delayScale = Number(process.env.DEMO_DELAY_SCALE ?? 1);
if (!Number.isFinite(delayScale) || delayScale < 0) {
  console.error('job-status demo worker: DEMO_DELAY_SCALE must be a non-negative number');
  process.exit(1);
}

const worker = createWorker({ queue: DEMO_QUEUE, connection: redisUrl, kinds: reportHandlers({ delayScale }), concurrency: 2 });
await worker.ready;
console.log(`job-status demo worker: building reports from the "${DEMO_QUEUE}" queue`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await worker.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
