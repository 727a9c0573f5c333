import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresBus } from '@job-status/hono/postgres';
import type { BusMessage } from '@job-status/hono';
import { DATABASE_URL, skipMessage, uniqueName } from './fixtures/services.js';
import { jobFixture } from './store-suite.js';
import { quietLogger } from './support.js';

const skip = skipMessage(['DATABASE_URL']);

const jobMessage = (seq: number, patch: { message?: string } = {}): BusMessage => {
  const { input: _i, idempotency_key: _k, owner: _o, ...rest } = jobFixture(patch);
  return { type: 'job', snapshot: { ...rest, seq } };
};

function listen(bus: { subscribe: (l: (m: BusMessage) => void) => () => void }) {
  const got: BusMessage[] = [];
  bus.subscribe((message) => void got.push(message));
  return {
    got,
    async until(count: number, ms = 5000) {
      const deadline = Date.now() + ms;
      while (got.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out with ${got.length} of ${count} messages`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

async function waitFor(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A URL whose connections carry a name, so the test can find them in pg_stat_activity. */
const named = (name: string) => `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}application_name=${name}`;

describe.skipIf(skip !== null)('postgres LISTEN/NOTIFY bus', { timeout: 30_000 }, () => {
  it('fans a change out to the other instance and delivers an instance\'s own change once', async () => {
    const channel = uniqueName('js_chan');
    const [a, b] = [postgresBus({ connectionString: DATABASE_URL, channel }), postgresBus({ connectionString: DATABASE_URL, channel })];
    try {
      await waitFor(() => a.connected && b.connected, 'both to listen');
      const [onA, onB] = [listen(a), listen(b)];
      const change = jobMessage(1);
      a.publish(change);
      expect(onA.got).toEqual([change]);
      await onB.until(1);
      await b.publish({ type: 'cancel', job_id: 'j-1' });
      await onA.until(2);
      expect(onA.got.map((m) => m.type)).toEqual(['job', 'cancel']);
      expect(onB.got).toEqual([change, { type: 'cancel', job_id: 'j-1' }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps a change too large for a notification to its own instance (the others read it from the store)', async () => {
    const channel = uniqueName('js_chan');
    const [a, b] = [postgresBus({ connectionString: DATABASE_URL, channel }), postgresBus({ connectionString: DATABASE_URL, channel })];
    try {
      await waitFor(() => a.connected && b.connected, 'both to listen');
      const [onA, onB] = [listen(a), listen(b)];
      const big = jobMessage(1, { message: 'x'.repeat(9000) });
      const small = jobMessage(2);
      a.publish(big);
      a.publish(small);
      await onB.until(1);
      expect(onA.got).toEqual([big, small]);
      expect(onB.got).toEqual([small]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('listens again by itself after its connection is cut', async () => {
    const channel = uniqueName('js_chan');
    const name = uniqueName('js_bus');
    const logger = quietLogger();
    const [a, b] = [postgresBus({ connectionString: DATABASE_URL, channel }), postgresBus({ connectionString: named(name), channel, logger })];
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      await waitFor(() => a.connected && b.connected, 'both to listen');
      const cut = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'`, [name]);
      expect(cut.rowCount).toBe(1);
      await waitFor(() => !b.connected, 'the cut to be noticed');
      await waitFor(() => b.connected, 'the bus to listen again');
      const onB = listen(b);
      const change = jobMessage(3);
      a.publish(change);
      await onB.until(1);
      expect(onB.got).toEqual([change]);
      expect(logger.errors).toHaveLength(1);
      expect(logger.records.filter((r) => r.event === 'bus.reconnected')).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close(), admin.end()]);
    }
  });
});

describe('postgresBus configuration', () => {
  it('throws at construction, with the job-status prefix, without exactly one of connectionString and pool, or with a bad channel', () => {
    expect(() => postgresBus({})).toThrow(/^job-status: postgresBus needs either/);
    expect(() => postgresBus({ connectionString: 'postgres://x/y', channel: 'no-dashes' })).toThrow(/^job-status: postgresBus `channel`/);
  });
});
