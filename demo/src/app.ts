import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import { createJobStatus } from '@job-status/hono';
import type { JobStatusLogger } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { bullmqSource } from '@job-status/hono/bullmq';
import { postgresStore } from '@job-status/hono/postgres';
import { redisBus } from '@job-status/hono/redis';
import { sessions } from './auth.js';
import { ensureDataDir } from './data-dir.js';
import { defineDemoJobs } from './jobs.js';
import { prometheusMetrics } from './metrics.js';
import { pageRoutes } from './pages/routes.js';
import { DEMO_QUEUE, REPORT_KINDS } from './reports.js';
import { SessionStore } from './session-store.js';
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
/**
 * The largest request body any route reads, in bytes: the job API's own bound. The pages'
 * forms need a few hundred bytes; without a bound, one anonymous login post could fill memory.
 */
export const MAX_BODY_BYTES = 64 * 1024;

export interface DemoOptions {
  /** Where the SQLite database, settings and sessions live. Created (owner-only) if missing. */
  dataDir: string;
  /** Multiplies every job delay. Default 1. */
  delayScale?: number;
  /** Chance that a sync fails on the way. Default 0.1. */
  failureRate?: number;
  heartbeatMs?: number;
  /** How long a sign-in lasts, in ms. Default 8 hours. */
  sessionLifetimeMs?: number;
  /** The clock sessions expire by, in ms since the epoch. Tests pass their own. */
  now?: () => number;
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
  ensureDataDir(options.dataDir);
  const sessionStore = new SessionStore({
    path: join(options.dataDir, 'sessions.db'),
    ...(options.sessionLifetimeMs ? { lifetimeMs: options.sessionLifetimeMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const auth = sessions(sessionStore);
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
  // Every route, read or not: the socket closes after a 413, since the rest of the body is never read.
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        c.header('Connection', 'close');
        return c.json({ error: { code: 'payload_too_large', message: `body: at most ${MAX_BODY_BYTES} bytes are accepted` } }, 413);
      },
    }),
  );
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
      sessionStore.close();
      await metrics.shutdown();
    },
  };
}
