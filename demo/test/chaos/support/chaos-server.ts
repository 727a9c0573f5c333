import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createJobStatus, JobFailure } from '@job-status/hono';
import type { JobContext, JobStatusLimits } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import type { JobSnapshot } from '@job-status/protocol';
import { pause } from '../../../src/jobs.js';

/** The header that names the caller: each chaos client is its own principal (its own stream limit). */
export const USER_HEADER = 'x-chaos-user';

/** What a `chaos.random` job does, step by step; the test draws it at random. */
export interface RandomPlan {
  /** Milliseconds before each step; one progress report per step. */
  steps: number[];
  /** How it ends. `hang` waits until it is canceled (the test cancels it). */
  outcome: 'success' | 'warning' | 'failed' | 'throw' | 'hang';
  /** Log a line every this many steps (0: never). */
  logEvery: number;
}


export interface ChaosServerOptions {
  heartbeatMs?: number;
  limits?: Partial<JobStatusLimits>;
  /** Called once for every job that settles. */
  onSettled?: (snapshot: JobSnapshot) => void;
}

/**
 * The job service the chaos tests run against: `@job-status/hono` as an app would mount
 * it (SQLite in a temporary folder, default limits unless told), a principal per
 * `x-chaos-user` header, and job kinds whose life the test draws at random.
 */
export async function startChaosServer(options: ChaosServerOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'job-status-chaos-'));
  const dbPath = join(dir, 'jobs.db');
  const internalErrors: string[] = [];
  const jobs = createJobStatus({
    store: sqliteStore({ path: dbPath }),
    authorize: (c) => {
      const id = c.req.header(USER_HEADER);
      return id ? { id } : null;
    },
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    logger: { info: () => undefined, error: (record, message) => internalErrors.push(`${message} ${JSON.stringify(record)}`) },
    ...(options.onSettled ? { onSettled: options.onSettled } : {}),
    // A test that fails leaves hanging jobs: do not wait the default 10 s for them.
    closeTimeoutMs: 500,
  });

  jobs.define<RandomPlan>('chaos.random', {
    label: (_plan, target) => `Random work on ${target}`,
    concurrency: 60,
    run: async (ctx, plan) => {
      ctx.phase('Starting');
      for (const [index, ms] of plan.steps.entries()) {
        await pause(ctx, ms);
        if (index % 3 === 0) ctx.phase(`Step ${index + 1}`);
        ctx.progress({ current: index + 1, total: plan.steps.length, unit: 'steps' });
        if (plan.logEvery && index % plan.logEvery === 0) ctx.log('info', `step ${index + 1} done`);
      }
      if (plan.outcome === 'hang') await pause(ctx, 10 * 60_000);
      if (plan.outcome === 'warning') ctx.warn('Some records were skipped.');
      if (plan.outcome === 'failed') throw new JobFailure('The peer refused the batch.', { code: 'peer_refused', hint: 'Try again later.' });
      if (plan.outcome === 'throw') throw new Error('an unexpected bug in the handler');
      return { message: `Did ${plan.steps.length} steps.` };
    },
  });
  /** Hangs until its timeout fails it. */
  jobs.define('chaos.timeout', {
    label: 'Times out',
    timeoutMs: 300,
    run: async (ctx) => {
      ctx.phase('Waiting for an answer that never comes');
      await pause(ctx, 60_000);
    },
  });

  /** Floods its streams: one event with `pad` characters of phase every `everyMs`, until canceled. */
  jobs.define<{ pad: number; everyMs: number }>('chaos.flood', {
    label: 'Flood',
    run: async (ctx, { pad, everyMs }) => {
      for (let i = 0; ; i++) {
        ctx.phase(`${i} ${'x'.repeat(pad)}`);
        await pause(ctx, everyMs);
      }
    },
  });

  /** `count` events of `pad` characters each, one per tick (so none are folded together), then success. */
  jobs.define<{ count: number; pad: number }>('chaos.burst', {
    label: 'Burst',
    run: async (ctx, { count, pad }) => {
      for (let i = 0; i < count; i++) {
        ctx.phase(`${i} ${'x'.repeat(pad)}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { message: `${count} events` };
    },
  });

  const app = new Hono();
  app.route('/jobs', jobs.routes());
  /** Open streams on this process: lets a test see a stream the server still holds. */
  app.get('/_chaos/streams', (c) => c.json({ streams: jobs.streams }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await jobs.ready;

  return {
    jobs,
    dbPath,
    port,
    url: `http://127.0.0.1:${port}`,
    internalErrors,
    async close() {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await jobs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
