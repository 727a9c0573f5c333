/**
 * `@job-status/hono/bullmq`: jobs that run on BullMQ workers, shown like any other job.
 * The app uses `bullmqSource` to put them on a queue and follow them; worker processes use
 * `createWorker` to run them. Needs the `bullmq` package.
 */
export { bullmqSource } from './source.js';
export { createWorker } from './worker.js';
export type { BullmqKind, BullmqSource, BullmqSourceOptions } from './source.js';
export type { CreateWorkerOptions, JobStatusWorker, WorkerKind } from './worker.js';
export type { RedisConnection } from './connection.js';
export type { JobData, WorkerReport, WorkerResult } from './report.js';
