import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import { createJobStatus } from '@job-status/hono';
import type { JobStatusLogger } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { bullmqSource } from '@job-status/hono/bullmq';
import { postgresStore } from '@job-status/hono/postgres';
import { redisBus } from '@job-status/hono/redis';
import { loadSecret, sessions } from './auth.js';
import { defineDemoJobs } from './jobs.js';
import { prometheusMetrics } from './metrics.js';
import { pageRoutes } from './pages/routes.js';
import { DEMO_QUEUE, REPORT_KINDS } from './reports.js';
import { loadSettings } from './settings.js';

/** The elements' single-file bundle (`job-status-elements.js`), built by `npm run build -w @job-status/elements`. */
const ELEMENTS = fileURLToPath(new URL('../../components/dist', import.meta.url));
const PUBLIC = fileURLToPath(new URL('../public', import.meta.url));
/** Scripts and styles from this origin only; nothing inline, no framing. */
const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
};

export interface DemoOptions {
  /** Where the SQLite database, settings and session secret live. Created if missing. */
  dataDir: string;
  /** Multiplies every job delay. Default 1. */
  delayScale?: number;
  /** Chance that a sync fails on the way. Default 0.1. */
  failureRate?: number;
  heartbeatMs?: number;
  logger?: JobStatusLogger;
  /**
   * Run as one of several instances: jobs in PostgreSQL, changes over Redis, and reports
   * built by a BullMQ worker (`src/worker.ts`). Without it, one process with SQLite.
   */
  cluster?: {
    databaseUrl: string;
    redisUrl: string;
    /** Unique per instance; a stable one lets a restart recover its own jobs at once. */
    instanceId?: string;
  };
}

/** The demo admin app: the job middleware at /api/admin/jobs, sessions, and pages. */
export function createDemoApp(options: DemoOptions) {
  mkdirSync(options.dataDir, { recursive: true });
  const auth = sessions(loadSecret(options.dataDir));
  const settings = loadSettings(options.dataDir);
  const { cluster } = options;
  const metrics = prometheusMetrics();
  const jobs = createJobStatus({
    ...(cluster
      ? {
          store: postgresStore({ connectionString: cluster.databaseUrl, ...(options.logger ? { logger: options.logger } : {}) }),
          bus: redisBus({ url: cluster.redisUrl, ...(options.logger ? { logger: options.logger } : {}) }),
          ...(cluster.instanceId ? { instanceId: cluster.instanceId } : {}),
        }
      : { store: sqliteStore({ path: join(options.dataDir, 'jobs.db') }) }),
    authorize: (c) => auth.authorize(c),
    // Readiness at /api/admin/jobs/health and metrics at /metrics: for a probe and a scraper on the admin network.
    health: true,
    telemetry: metrics.telemetry,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  defineDemoJobs(jobs, { delayScale: options.delayScale ?? 1, failureRate: options.failureRate ?? 0.1, settings });
  const reports = cluster ? bullmqSource({ queue: DEMO_QUEUE, connection: cluster.redisUrl, kinds: REPORT_KINDS, ...(options.logger ? { logger: options.logger } : {}) }) : null;
  reports?.attach(jobs);

  const app = new Hono();
  app.use('*', secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: 'same-origin' }));
  app.route('/api/admin/jobs', jobs.routes());
  app.get('/metrics', (c) => metrics.serve(c));
  // The pages' own form posts: same-origin only (the job API checks Origin itself).
  app.use('*', csrf());
  app.use('/assets/elements/*', serveStatic({ root: ELEMENTS, rewriteRequestPath: (path) => path.replace(/^\/assets\/elements/, '') }));
  app.use('/assets/*', serveStatic({ root: PUBLIC, rewriteRequestPath: (path) => path.replace(/^\/assets/, '') }));
  app.route('/', pageRoutes({ jobs, auth, settings }));

  return {
    app,
    jobs,
    settings,
    close: async () => {
      await jobs.close();
      await reports?.close();
      await metrics.shutdown();
    },
  };
}
