import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisBus } from '@job-status/hono/redis';
import type { BusMessage } from '@job-status/hono';
import { REDIS_URL, skipMessage, uniqueName } from './fixtures/services.js';
import { freePort, startRedis, stopAll } from './fixtures/processes.js';
import { jobFixture } from './store-suite.js';
import { quietLogger } from './support.js';

const skip = skipMessage(['REDIS_URL']);
afterAll(() => stopAll());

const jobMessage = (seq: number): BusMessage => {
  const { input: _i, idempotency_key: _k, owner: _o, ...rest } = jobFixture();
  return { type: 'job', snapshot: { ...rest, seq } };
};

/** Collects what a bus delivers; `until` waits (bounded) for a count. */
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

async function connected(bus: { connected: boolean }, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!bus.connected) {
    if (Date.now() > deadline) throw new Error('the bus did not connect');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(skip !== null)('redis bus', { timeout: 30_000 }, () => {
  it('fans a change out to the other instance, and delivers an instance\'s own change once, without the round trip', async () => {
    const channel = uniqueName('job-status-test');
    const [a, b] = [redisBus({ url: REDIS_URL, channel, logger: quietLogger() }), redisBus({ url: REDIS_URL, channel, logger: quietLogger() })];
    try {
      await Promise.all([connected(a), connected(b)]);
      const [onA, onB] = [listen(a), listen(b)];
      // Subscribing is asynchronous on the server side: wait until a message goes through.
      const probe = new Redis(REDIS_URL);
      while ((await probe.pubsub('NUMSUB', channel))[1] !== 2) await new Promise((r) => setTimeout(r, 10));
      await probe.quit();
      const change = jobMessage(1);
      a.publish(change);
      expect(onA.got).toEqual([change]);
      await onB.until(1);
      expect(onB.got).toEqual([change]);
      await b.publish({ type: 'cancel', job_id: 'j-1' });
      // A's own echo, had it been delivered, would have come before B's cancel.
      await onA.until(2);
      expect(onA.got.map((m) => m.type)).toEqual(['job', 'cancel']);
      expect(onB.got.map((m) => m.type)).toEqual(['job', 'cancel']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('ignores what other apps publish on the channel', async () => {
    const channel = uniqueName('job-status-test');
    const bus = redisBus({ url: REDIS_URL, channel, logger: quietLogger() });
    const raw = new Redis(REDIS_URL);
    try {
      await connected(bus);
      const got = listen(bus);
      while ((await raw.pubsub('NUMSUB', channel))[1] !== 1) await new Promise((r) => setTimeout(r, 10));
      for (const junk of ['not json', '{"origin":"x","message":{"type":"job"}}', '{"origin":"x","message":{"type":"cancel"}}', 'null']) {
        await raw.publish(channel, junk);
      }
      const change = jobMessage(7);
      await raw.publish(channel, JSON.stringify({ origin: 'other', message: change }));
      await got.until(1);
      expect(got.got).toEqual([change]);
    } finally {
      await Promise.all([bus.close(), raw.quit()]);
    }
  });

  it('reconnects by itself after its Redis stops and starts again, and says so once each way', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const logs = [quietLogger(), quietLogger()];
    const [a, b] = [redisBus({ url, logger: logs[0] }), redisBus({ url, logger: logs[1] })];
    try {
      await Promise.all([connected(a), connected(b)]);
      await redis.stop('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (a.connected || b.connected) {
        if (Date.now() > deadline) throw new Error('the outage went unnoticed');
        await new Promise((r) => setTimeout(r, 20));
      }
      // A change during the outage is not sent (the store has it); a cancel says it could not be sent.
      expect(a.publish(jobMessage(1))).toBeUndefined();
      await expect(a.publish({ type: 'cancel', job_id: 'j' })).rejects.toMatchObject({ status: 503, code: 'bus_unavailable' });
      redis = await startRedis(port);
      await Promise.all([connected(a), connected(b)]);
      const onB = listen(b);
      const probe = new Redis(url);
      while ((await probe.pubsub('NUMSUB', 'job-status'))[1] !== 2) await new Promise((r) => setTimeout(r, 20));
      await probe.quit();
      const change = jobMessage(2);
      a.publish(change);
      await onB.until(1);
      expect(onB.got).toEqual([change]);
      for (const log of logs) {
        expect(log.errors).toHaveLength(1);
        expect(log.records.filter((r) => r.event === 'bus.reconnected')).toHaveLength(1);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });
});

describe('redisBus configuration', () => {
  it('throws at construction, with the job-status prefix, without exactly one of url and client, or with a bad channel', () => {
    expect(() => redisBus({})).toThrow(/^job-status: redisBus needs either/);
    expect(() => redisBus({ url: 'redis://x', client: {} as Redis })).toThrow(/^job-status: /);
    expect(() => redisBus({ url: 'redis://x', channel: '' })).toThrow(/^job-status: redisBus `channel`/);
  });
});
