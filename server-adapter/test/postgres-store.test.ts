import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresStore } from '@job-status/hono/postgres';
import type { JobStore } from '@job-status/hono';
import { DATABASE_URL, schemas, skipMessage } from './fixtures/services.js';
import { jobFixture, storeBehaviour } from './store-suite.js';

const skip = skipMessage(['DATABASE_URL']);
const made = schemas();
const opened: JobStore[] = [];
afterAll(async () => {
  for (const store of opened.splice(0)) await store.close();
  await made.drop();
});

/** A store on its own fresh schema, as an instance of an app would open it. */
const fresh = (schema = made.next()) => postgresStore({ connectionString: DATABASE_URL, schema });

storeBehaviour('postgres', () => fresh(), skip !== null);

describe.skipIf(skip !== null)('postgres store', () => {
  const open = async (schema: string) => {
    const store = fresh(schema);
    opened.push(store);
    await store.open();
    return store;
  };

  it('migrates once when several instances open an empty database at the same moment', async () => {
    const schema = made.next();
    const stores = Array.from({ length: 6 }, () => fresh(schema));
    opened.push(...stores);
    const results = await Promise.all(stores.map((store) => store.open()));
    expect(new Set(results.map((r) => r.epoch)).size).toBe(1);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM "${schema}".job_status_migrations ORDER BY version`);
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await client.end();
    }
  });

  it('numbers the events of every instance with one sequence, so each instance replays the same log', async () => {
    const schema = made.next();
    const [a, b] = [await open(schema), await open(schema)];
    const saved = [];
    for (let i = 0; i < 4; i++) saved.push(await (i % 2 ? b : a).save(jobFixture(), { durable: true }));
    expect(saved.map((job) => job.seq)).toEqual([1, 2, 3, 4]);
    expect(await a.head()).toBe(4);
    expect(await b.readEvents(0, 10)).toEqual(await a.readEvents(0, 10));
    expect((await b.get(saved[0]!.job_id))?.job_id).toBe(saved[0]!.job_id);
  });

  it('never lets a reader that resumes from the last event it saw miss an event, while two instances write at once', async () => {
    const schema = made.next();
    const [a, b, reader] = [await open(schema), await open(schema), await open(schema)];
    const seen: number[] = [];
    let writing = true;
    const read = (async () => {
      let after = 0;
      while (writing || after < (await reader.head())) {
        const events = (await reader.readEvents(after, 50))!;
        for (const event of events) seen.push(event.seq);
        after = events.at(-1)?.seq ?? after;
      }
    })();
    const write = (store: JobStore) => Promise.all(Array.from({ length: 40 }, () => store.save(jobFixture(), { durable: true })));
    const written = (await Promise.all([write(a), write(b)])).flat();
    writing = false;
    await read;
    expect(seen).toEqual(written.map((job) => job.seq).sort((x, y) => x - y));
    expect(seen).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  });

  it('keeps history, logs, the epoch and the sequence across close and reopen', async () => {
    const schema = made.next();
    const first = fresh(schema);
    const { epoch } = await first.open();
    const job = await first.save(jobFixture(), { durable: true });
    await first.appendLog(job.job_id, { seq: 1, ts: job.created_at, level: 'info', message: 'kept' });
    await first.close();
    const second = await open(schema);
    expect((await second.open()).epoch).toBe(epoch);
    expect(await second.get(job.job_id)).toEqual(job);
    expect((await second.readLogs(job.job_id, 0, 10)).map((l) => l.message)).toEqual(['kept']);
    expect((await second.save(jobFixture(), { durable: true })).seq).toBe(job.seq + 1);
  });

  it('keeps text that PostgreSQL cannot hold as U+FFFD instead of failing the save', async () => {
    const store = await open(made.next());
    const job = await store.save(jobFixture({ label: 'a\u0000b', input: { note: 'x\u0000y' } }), { durable: true });
    await store.appendLog(job.job_id, { seq: 1, ts: job.created_at, level: 'info', message: 'nul\u0000here' });
    expect(await store.get(job.job_id)).toMatchObject({ label: 'a\uFFFDb', input: { note: 'x\u0000y' } });
    expect((await store.readLogs(job.job_id, 0, 1))[0]!.message).toBe('nul\uFFFDhere');
  });

  it('works on a pool the app already has, and leaves that pool open on close', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    try {
      const store = postgresStore({ pool, schema: made.next() });
      await store.open();
      await store.save(jobFixture(), { durable: true });
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});

describe('postgresStore configuration', () => {
  it('throws at construction, with the job-status prefix, for missing or conflicting connections and bad schema names', () => {
    expect(() => postgresStore({})).toThrow(/^job-status: postgresStore needs either/);
    expect(() => postgresStore({ connectionString: 'postgres://x/y', pool: {} as pg.Pool })).toThrow(/^job-status: /);
    expect(() => postgresStore({ connectionString: 'postgres://x/y', schema: 'bad-name' })).toThrow(/^job-status: postgresStore `schema`/);
    expect(() => postgresStore({ connectionString: 'postgres://x/y', schema: '1abc' })).toThrow(/^job-status: /);
  });
});
