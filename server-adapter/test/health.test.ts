import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresStore } from '@job-status/hono/postgres';
import { redisBus } from '@job-status/hono/redis';
import type { JobStatusHealth } from '@job-status/hono';
import { DATABASE_URL, schemas, skipMessage } from './fixtures/services.js';
import { freePort, startRedis, stopAll } from './fixtures/processes.js';
import { createTestJobs, gate } from './support.js';

const made = schemas();
afterAll(async () => {
  await stopAll();
  await made.drop();
});

/** Asks `GET /health` until its answer has `status`, as a probe would every few seconds. */
async function probeUntil(app: { request(path: string): Response | Promise<Response> }, status: number): Promise<JobStatusHealth> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await app.request('/jobs/health');
    if (response.status === status) return (await response.json()) as JobStatusHealth;
    if (Date.now() > deadline) throw new Error(`GET /health kept answering ${response.status}: ${await response.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('readiness', () => {
  it('reports a ready instance with its queued, running and streamed work, and nothing about any job', async () => {
    const { jobs } = createTestJobs();
    const release = gate();
    jobs.define('slow', { concurrency: 1, run: () => release.promise });
    try {
      await jobs.ready;
      const first = await jobs.enqueue('slow');
      await jobs.enqueue('slow');
      await expect.poll(async () => (await jobs.health()).running).toBe(1);
      expect(await jobs.health()).toEqual({ ready: true, store: 'ok', bus: 'connected', queued: 1, running: 1, streams: 0 });
      expect(JSON.stringify(await jobs.health())).not.toContain(first.job_id);
    } finally {
      release.open();
      await jobs.close();
    }
  });

  it('serves GET /health only when the app opts in, and then without authorize', async () => {
    const closed = createTestJobs();
    const open = createTestJobs({ health: true });
    try {
      // Without the option the path is an ordinary job route: it asks who is calling.
      expect((await closed.app.request('/jobs/health')).status).toBe(401);
      const response = await open.app.request('/jobs/health');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ ready: true, store: 'ok', bus: 'connected', queued: 0, running: 0, streams: 0 });
      // The other routes still need a caller.
      expect((await open.app.request('/jobs')).status).toBe(401);
    } finally {
      await Promise.all([closed.jobs.close(), open.jobs.close()]);
    }
  });

  it('answers 503 with the bus disconnected while its Redis is down, and 200 once it is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const { jobs, app, logger } = createTestJobs({ health: true, bus: redisBus({ url: `redis://127.0.0.1:${port}`, logger: { info: () => undefined, error: () => undefined } }) });
    try {
      await probeUntil(app, 200);
      await redis.stop('SIGKILL');
      expect(await probeUntil(app, 503)).toMatchObject({ ready: false, store: 'ok', bus: 'disconnected' });
      redis = await startRedis(port);
      expect(await probeUntil(app, 200)).toMatchObject({ ready: true, bus: 'connected' });
      expect(logger.errors).toEqual([]);
    } finally {
      await jobs.close();
      await redis.stop();
    }
  });

  it.skipIf(skipMessage(['DATABASE_URL']) !== null)('answers 503 with the store unavailable while the store cannot write, and 200 once it can', async () => {
    const schema = made.next();
    const { jobs, app, logger } = createTestJobs({ health: true, store: postgresStore({ connectionString: DATABASE_URL, schema }) });
    const blocker = new pg.Client({ connectionString: DATABASE_URL });
    await blocker.connect();
    try {
      await jobs.ready;
      await probeUntil(app, 200);
      // Another session holds the table the probe writes to: the store hangs, as an overloaded or stuck database does.
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}".job_status_owners IN ACCESS EXCLUSIVE MODE`);
      expect(await probeUntil(app, 503)).toMatchObject({ ready: false, store: 'unavailable', bus: 'connected' });
      expect(logger.errors.map((e) => e.err)).toEqual([expect.stringMatching(/did not finish a write within/)]);
      await blocker.query('ROLLBACK');
      expect(await probeUntil(app, 200)).toMatchObject({ ready: true, store: 'ok' });
      expect(logger.records.filter((r) => r.event === 'store.writable')).toHaveLength(1);
    } finally {
      await blocker.end();
      await jobs.close();
    }
  });

  it('answers 503 while the store has not opened, and says so', async () => {
    const port = await freePort();
    const { jobs, app } = createTestJobs({ health: true, store: postgresStore({ connectionString: `postgres://postgres@127.0.0.1:${port}/none` }) });
    try {
      expect(await probeUntil(app, 503)).toMatchObject({ ready: false, store: expect.stringMatching(/^(opening|unavailable)$/) });
    } finally {
      await jobs.close().catch(() => undefined);
    }
  });
});
