import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { createJobStatus } from '@job-status/hono';
import type { JobStatusLogger } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { loadSecret, sessions } from './auth.js';
import { defineDemoJobs } from './jobs.js';
import { loadSettings } from './settings.js';

export interface DemoOptions {
  /** Where the SQLite database, settings and session secret live. Created if missing. */
  dataDir: string;
  /** Multiplies every job delay. Default 1. */
  delayScale?: number;
  /** Chance that a sync fails on the way. Default 0.1. */
  failureRate?: number;
  heartbeatMs?: number;
  logger?: JobStatusLogger;
}

/** The demo admin app: the job middleware at /api/admin/jobs, sessions, and pages. */
export function createDemoApp(options: DemoOptions) {
  mkdirSync(options.dataDir, { recursive: true });
  const auth = sessions(loadSecret(options.dataDir));
  const settings = loadSettings(options.dataDir);
  const jobs = createJobStatus({
    store: sqliteStore({ path: join(options.dataDir, 'jobs.db') }),
    authorize: (c) => auth.authorize(c),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  defineDemoJobs(jobs, { delayScale: options.delayScale ?? 1, failureRate: options.failureRate ?? 0.1, settings });

  const app = new Hono();
  app.route('/api/admin/jobs', jobs.routes());

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const user = form.user;
    if (user !== 'admin' && user !== 'viewer') {
      return c.json({ error: { code: 'invalid_user', message: 'user: expected "admin" or "viewer"' } }, 400);
    }
    await auth.signIn(c, user);
    return c.redirect('/', 303);
  });

  app.post('/logout', (c) => {
    auth.signOut(c);
    return c.redirect('/', 303);
  });

  app.get('/', async (c) => {
    const user = await auth.user(c);
    return c.json({
      name: 'job-status demo',
      signed_in_as: user?.id ?? null,
      login: 'POST /login with form field user=admin or user=viewer',
      api: '/api/admin/jobs',
      kinds: ['sync.push', 'sync.pull', 'dedalus.verify'],
    });
  });

  return { app, jobs, settings, close: () => jobs.close() };
}
