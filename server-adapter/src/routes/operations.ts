import { Hono } from 'hono';
import type { JobStatusHealth } from '../health.js';
import type { Principal } from '../options.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import type { JobStatusEnv } from './routes.js';

export interface OperationsOptions {
  /** Answers `GET /health`; absent when the app did not opt in. */
  health: (() => Promise<JobStatusHealth>) | null;
  telemetry: JobStatusTelemetry | null;
}

/**
 * Puts what operators need in front of the job routes: the opt-in readiness route, which
 * answers before `authorize` runs (probes carry no identity; the app protects the path as
 * it chooses), and the count of refused requests, read from every answer the routes give.
 */
export function withOperations<P extends Principal>(routes: Hono<JobStatusEnv<P>>, options: OperationsOptions): Hono<JobStatusEnv<P>> {
  const { health, telemetry } = options;
  if (!health && !telemetry) return routes;
  const app = new Hono<JobStatusEnv<P>>();
  if (telemetry) {
    app.use('*', async (c, next) => {
      await next();
      if (c.res.status >= 400) telemetry.requestRefused(c.res.status);
    });
  }
  if (health) {
    app.get('/health', async (c) => {
      const report = await health();
      c.header('Cache-Control', 'no-store');
      return c.json(report, report.ready ? 200 : 503);
    });
  }
  return app.route('/', routes);
}
