import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatus, memoryStore } from '@job-status/hono';
import type { JobStatus, JobStore } from '@job-status/hono';
import { postgresStore } from '@job-status/hono/postgres';
import { sqliteStore } from '@job-status/hono/sqlite';
import { DATABASE_URL, schemas, skipMessage } from './fixtures/services.js';
import { jobFixture } from './store-suite.js';
import { ManualClock, gate, quietLogger, until as waitFor, wrap } from './support.js';

const open: JobStatus[] = [];
afterEach(async () => {
  for (const jobs of open.splice(0)) await jobs.close();
});

function instance(store: JobStore, options: { instanceId: string; ownerHeartbeatMs?: number; closeTimeoutMs?: number; clock?: ManualClock }) {
  const logger = quietLogger();
  const jobs = createJobStatus({ authorize: () => ({ id: 'admin' }), store, logger, heartbeatMs: 60_000, ...options });
  open.push(jobs);
  return { jobs, logger };
}

async function until(read: () => Promise<JobSnapshot | null>, check: (job: JobSnapshot | null) => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await read();
    if (check(job)) return job!;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One store shared by instances in this process, as a database is shared by processes. */
const shared = () => wrap(memoryStore(), { close: async () => undefined, exclusive: false } as Partial<JobStore>);

describe('ownership across instances that share a store', () => {
  it('leaves the running jobs of an instance that beats alone, and recovers them once it stops on purpose', async () => {
    const store = shared();
    const a = instance(store, { instanceId: 'a', ownerHeartbeatMs: 150, closeTimeoutMs: 10 });
    // b's beats and the lapse after which it scans for silent owners run on a clock the test moves.
    const clock = new ManualClock();
    let scans = 0;
    const scanned = wrap(store, { listBusy: () => (scans++, store.listBusy()) });
    const b = instance(scanned, { instanceId: 'b', ownerHeartbeatMs: 150, clock });
    const hold = gate();
    a.jobs.define('t.hold', { run: () => hold.promise });
    b.jobs.define('t.hold', { run: () => hold.promise });
    const { job_id } = await a.jobs.enqueue('t.hold');
    await until(() => b.jobs.get(job_id), (job) => job?.state === 'running');
    // Many of b's scans pass while a beats: a's job is not touched.
    const before = scans;
    await waitFor(async () => (await clock.advance(150), scans >= before + 5));
    expect((await b.jobs.get(job_id))?.state).toBe('running');
    await a.jobs.close();
    const job = await waitFor(async () => {
      await clock.advance(150);
      const seen = await b.jobs.get(job_id);
      return seen?.state === 'failed' && seen;
    });
    expect(job).toMatchObject({ error: { code: 'interrupted' }, message: 'The server running this job stopped while this job was running.' });
    expect(b.logger.records.filter((r) => r.event === 'job.settled' && r.job_id === job_id)).toHaveLength(1);
    hold.open();
  });

  it('on start, recovers at once what its own id left behind, and spares an owner that beat lately', async () => {
    const store = shared();
    await store.open();
    const left = await store.save({ ...jobFixture({ state: 'running', owner: 'crashed' }) }, { durable: true });
    await store.beat('crashed');
    // Another id starting now must not judge "crashed": it may be back from the same outage.
    const other = instance(store, { instanceId: 'other', ownerHeartbeatMs: 60_000 });
    await other.jobs.ready;
    expect((await other.jobs.get(left.job_id))?.state).toBe('running');
    // The same id starting again is the crashed process's next life: its leftovers are over.
    const again = instance(store, { instanceId: 'crashed', ownerHeartbeatMs: 60_000 });
    await again.jobs.ready;
    expect(await again.jobs.get(left.job_id)).toMatchObject({ state: 'failed', error: { code: 'interrupted' }, message: 'The server restarted while this job was running.' });
  });

  it('recovers at start everything a crashed process left in a store that one process uses at a time (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'job-status-owner-'));
    try {
      const path = join(dir, 'jobs.db');
      const before = sqliteStore({ path });
      await before.open();
      const left = await before.save(jobFixture({ state: 'running', owner: 'crashed-a-moment-ago' }), { durable: true });
      await before.beat('crashed-a-moment-ago');
      await before.close();
      const { jobs } = instance(sqliteStore({ path }), { instanceId: 'next', ownerHeartbeatMs: 60_000 });
      await jobs.ready;
      expect(await jobs.get(left.job_id)).toMatchObject({ state: 'failed', error: { code: 'interrupted' } });
    } finally {
      for (const jobs of open.splice(0)) await jobs.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a handler whose job another process claimed, and never overwrites what that process wrote', async () => {
    const store = shared();
    const a = instance(store, { instanceId: 'a', ownerHeartbeatMs: 60_000 });
    const claimed = gate();
    let signal: AbortSignal | null = null;
    a.jobs.define('t.slow', {
      run: async (ctx) => {
        signal = ctx.signal;
        await claimed.promise;
        ctx.phase('still going');
      },
    });
    const { job_id } = await a.jobs.enqueue('t.slow');
    await until(() => a.jobs.get(job_id), (job) => job?.state === 'running' && signal !== null);
    // As if a's beats had not reached the store for a whole lapse: another process claims the job.
    await store.release('a');
    expect((await store.claim(job_id, 'b', 60_000))?.owner).toBe('b');
    claimed.open();
    await until(async () => (signal!.aborted ? ({} as JobSnapshot) : null), (x) => x !== null);
    expect((signal! as AbortSignal).reason).toMatchObject({ name: 'AbortError', reason: 'taken-over' });
    expect(await store.get(job_id)).toMatchObject({ owner: 'b', state: 'running', phase: null });
    expect(a.logger.errors.map((e) => e.err)).toEqual([expect.stringMatching(/now belongs to b/)]);
  });

  it('saves an outcome the store refused once, when the store answers again', async () => {
    const inner = memoryStore();
    let refuse = true;
    const store = wrap(inner, {
      save: async (job, options) => {
        if (refuse && ['success', 'warning', 'failed', 'canceled'].includes(job.state)) {
          refuse = false;
          throw new Error('connection refused');
        }
        return inner.save(job, options);
      },
    });
    const { jobs, logger } = instance(store, { instanceId: 'flaky' });
    jobs.define('t.done', { run: () => ({ message: 'done' }) });
    const { job_id } = await jobs.enqueue('t.done');
    const job = await until(() => jobs.get(job_id), (j) => j?.state === 'success');
    expect(job.message).toBe('done');
    expect(logger.errors).toHaveLength(1);
    expect(logger.records.filter((r) => r.event === 'job.settled')).toHaveLength(1);
  });
});

const skip = skipMessage(['DATABASE_URL']);
const made = schemas();
afterAll(() => made.drop());

describe.skipIf(skip !== null)('idempotency keys across instances (Postgres store)', () => {
  it('gives two instances that enqueue with one key at the same moment the same job', async () => {
    const schema = made.next();
    const a = instance(postgresStore({ connectionString: DATABASE_URL, schema }), { instanceId: 'a' });
    const b = instance(postgresStore({ connectionString: DATABASE_URL, schema }), { instanceId: 'b' });
    for (const { jobs } of [a, b]) jobs.define('t.once', { run: () => undefined });
    await Promise.all([a.jobs.ready, b.jobs.ready]);
    for (let round = 0; round < 5; round++) {
      const key = `key-${round}`;
      const [first, second] = await Promise.all([
        a.jobs.enqueue('t.once', null, { idempotencyKey: key, scope: 'admin' }),
        b.jobs.enqueue('t.once', null, { idempotencyKey: key, scope: 'admin' }),
      ]);
      expect(first.job_id).toBe(second.job_id);
    }
  });
});
