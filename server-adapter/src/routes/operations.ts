import { Hono } from 'hono';
import type { Context } from 'hono';
import type { JobStatusHealth } from '../health.js';
import type { AuthorizeHook, Principal } from '../options.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import { documented, routeDocs } from './contract.js';
import type { JobStatusEnv } from './routes.js';

export interface OperationsOptions<P extends Principal> {
  /** Answers `GET /health`; absent when the app did not opt in. */
  health: (() => Promise<JobStatusHealth>) | null;
  /** Answers `GET /openapi.json`; absent when the app did not opt in. */
  openapi: (() => Promise<object>) | null;
  authorize: AuthorizeHook<P>;
  telemetry: JobStatusTelemetry | null;
}

/**
 * Puts what operators and tooling need in front of the job routes: the opt-in readiness
 * route, which answers before `authorize` runs (probes carry no identity; the app protects
 * the path as it chooses); the opt-in OpenAPI document, for callers `authorize` accepts
 * (it lists every kind of job, as `GET /kinds` does); and the count of refused requests,
 * read from every answer.
 */
export function withOperations<P extends Principal>(routes: Hono<JobStatusEnv<P>>, options: OperationsOptions<P>): Hono<JobStatusEnv<P>> {
  const { health, openapi, telemetry } = options;
  if (!health && !openapi && !telemetry) return routes;
  const app = new Hono<JobStatusEnv<P>>();
  if (telemetry) {
    app.use('*', async (c, next) => {
      await next();
      if (c.res.status >= 400) telemetry.requestRefused(c.res.status);
    });
  }
  if (health) {
    app.get('/health', documented(routeDocs.health, async (c: Context<JobStatusEnv<P>>) => {
      const report = await health();
      c.header('Cache-Control', 'no-store');
      return c.json(report, report.ready ? 200 : 503);
    }));
  }
  if (openapi) {
    // Before the job routes, whose `/:id` would take the path.
    app.get('/openapi.json', async (c) => {
      const principal = await options.authorize(c);
      if (principal === null || principal === undefined) return c.json({ error: { code: 'unauthorized', message: 'Sign in to see jobs.' } }, 401);
      if (principal === false) return c.json({ error: { code: 'forbidden', message: 'You are signed in but not allowed to use jobs.' } }, 403);
      return c.json(await openapi());
    });
  }
  return app.route('/', routes);
}
