import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { DATABASE_URL, REDIS_URL, schemas, skipMessage, uniqueName } from './fixtures/services.js';
import { freePort, spawnFixture, startRedis, stopAll } from './fixtures/processes.js';
import type { Child } from './fixtures/processes.js';
import { openStream } from './support.js';

const skip = skipMessage(['DATABASE_URL', 'REDIS_URL']);
const made = schemas();
const streams: Array<{ close: () => Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(streams.splice(0).map((s) => s.close()));
  await stopAll();
  await made.drop();
});

/** Short enough for a quick test, long enough that a busy machine never makes a live instance look dead. */
const OWNER_HEARTBEAT_MS = 400;
const admin = { 'x-user': 'admin' };

interface Instance {
  child: Child;
  url: string;
}

/** Starts instances together; each resolves once its store is open and recovery has run. */
async function startInstances(ids: string[], env: Record<string, string>): Promise<Instance[]> {
  const children = ids.map((id) =>
    spawnFixture('test/fixtures/cluster-instance.ts', { ...env, INSTANCE_ID: id, OWNER_HEARTBEAT_MS: String(OWNER_HEARTBEAT_MS) }),
  );
  return Promise.all(
    children.map(async (child) => ({ child, url: `http://127.0.0.1:${(await child.waitFor(/^READY (\d+)$/))[1]}` })),
  );
}

async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const busConnected = (instance: Instance) => until(async () => (await (await fetch(`${instance.url}/test/bus`)).json()) as { connected: boolean }, (s) => s.connected, 'the bus to connect');
const enqueue = async (instance: Instance, target: string) => {
  const response = await fetch(`${instance.url}/jobs`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'cluster.steps', target }) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { job_id: string }).job_id;
};
const release = (instance: Instance, jobId: string) => fetch(`${instance.url}/test/release/${jobId}`, { method: 'POST' });
const getJob = async (instance: Instance, jobId: string) => (await (await fetch(`${instance.url}/jobs/${jobId}`, { headers: admin })).json()) as JobSnapshot;
const stream = async (instance: Instance, headers: Record<string, string> = {}) => {
  const opened = await openStream(`${instance.url}/jobs/events?kind=cluster.steps`, { ...admin, ...headers });
  streams.push(opened);
  await opened.until(() => opened.events.some((e) => e.event === 'ready'));
  return opened;
};
const steps = (updates: Array<JobSnapshot & { eventId: string | undefined }>) => updates.map((u) => [u.state, u.phase]);
const seqOf = (eventId: string | undefined) => Number(eventId!.split('-')[1]);

// Bounded waits inside each test fail first, with a message; this only bounds the whole.
const SLOW = { timeout: 60_000 };

describe.skipIf(skip !== null)('two app instances in two processes (Postgres store, Redis bus)', SLOW, () => {
  let a: Instance;
  let b: Instance;
  const env = () => ({ DATABASE_URL, REDIS_URL, SCHEMA: made.next(), CHANNEL: uniqueName('job-status-test'), HEARTBEAT_MS: '500' });
  let shared: Record<string, string>;

  beforeAll(() => {
    shared = env();
  });

  it('both start together on an empty database without error', async () => {
    [a, b] = (await startInstances(['instance-a', 'instance-b'], shared)) as [Instance, Instance];
    for (const instance of [a, b]) {
      expect(instance.child.lines.filter((line) => /error/i.test(line))).toEqual([]);
      const response = await fetch(`${instance.url}/jobs`, { headers: admin });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ jobs: [] });
      await busConnected(instance);
    }
  });

  it('shows on B the whole lifecycle of a job enqueued and run on A, in log order', async () => {
    const onB = await stream(b);
    const onA = await stream(a);
    const jobId = await enqueue(a, 'lifecycle');
    const seen = (s: typeof onB) => s.updates().filter((u) => u.job_id === jobId);
    await onB.until(() => seen(onB).some((u) => u.state === 'running'));
    for (let step = 1; step <= 3; step++) {
      await release(a, jobId);
      await onB.until(() => seen(onB).some((u) => u.phase === `Step ${step} of 3`));
    }
    await release(a, jobId);
    await onB.until(() => seen(onB).some((u) => u.state === 'success'));
    await onA.until(() => seen(onA).some((u) => u.state === 'success'));
    expect(steps(seen(onB))).toEqual([
      ['queued', null],
      ['running', null],
      ['running', 'Step 1 of 3'],
      ['running', 'Step 2 of 3'],
      ['running', 'Step 3 of 3'],
      ['success', 'Step 3 of 3'],
    ]);
    expect(seen(onB).at(-1)).toMatchObject({ message: 'Did 3 steps.', progress: { current: 3, total: 3, unit: 'steps' } });
    // The same events, with the same ids, as on the instance that ran the job.
    expect(seen(onB).map((u) => u.eventId)).toEqual(seen(onA).map((u) => u.eventId));
    await Promise.all([onA.close(), onB.close()]);
  });

  it('replays exactly the missed events to a stream cut on B that reconnects to A with Last-Event-ID', async () => {
    const onB = await stream(b);
    const observer = await stream(a);
    const jobId = await enqueue(a, 'resume');
    const seen = (s: typeof onB) => s.updates().filter((u) => u.job_id === jobId);
    await release(a, jobId);
    await onB.until(() => seen(onB).some((u) => u.phase === 'Step 1 of 3'));
    const lastId = onB.events.filter((e) => e.id).at(-1)!.id!;
    await onB.close();

    // One release at a time, so each step is its own event.
    for (const phase of ['Step 2 of 3', 'Step 3 of 3']) {
      await release(a, jobId);
      await observer.until(() => seen(observer).some((u) => u.phase === phase));
    }
    await release(a, jobId);
    await observer.until(() => seen(observer).some((u) => u.state === 'success'));

    const resumed = await openStream(`${a.url}/jobs/events?kind=cluster.steps`, { ...admin, 'last-event-id': lastId });
    streams.push(resumed);
    await resumed.until(() => resumed.events.some((e) => e.event === 'ready'));
    const missed = observer.updates().filter((u) => seqOf(u.eventId) > seqOf(lastId));
    expect(resumed.events.map((e) => e.event)).not.toContain('resync');
    expect(resumed.updates()).toEqual(missed);
    expect(steps(resumed.updates())).toEqual([
      ['running', 'Step 2 of 3'],
      ['running', 'Step 3 of 3'],
      ['success', 'Step 3 of 3'],
    ]);
    await Promise.all([resumed.close(), observer.close()]);
  });

  it('finishes the jobs of an instance killed mid-job as interrupted once its heartbeat lapses, and leaves the live instances\' jobs alone', async () => {
    const onB = await stream(b);
    const onA = await enqueue(a, 'killed');
    const onBJob = await enqueue(b, 'survivor');
    const state = (instance: Instance, id: string) => getJob(instance, id).then((job) => job.state);
    await until(() => Promise.all([state(a, onA), state(b, onBJob)]), (s) => s.every((x) => x === 'running'), 'both jobs to run');

    // A third instance that starts now recovers nothing: both owners are beating.
    const [c] = await startInstances(['instance-c'], shared);
    expect([await state(c!, onA), await state(c!, onBJob)]).toEqual(['running', 'running']);
    // Several heartbeat lapses later, still nothing is recovered.
    await new Promise((r) => setTimeout(r, OWNER_HEARTBEAT_MS * 3 * 2));
    expect([await state(c!, onA), await state(c!, onBJob)]).toEqual(['running', 'running']);

    await a.child.stop('SIGKILL');
    await onB.until(() => onB.updates().some((u) => u.job_id === onA && u.state === 'failed'), 15_000);
    expect(await getJob(b, onA)).toMatchObject({
      state: 'failed',
      message: 'The server running this job stopped while this job was running.',
      error: { code: 'interrupted', hint: expect.stringMatching(/run the action again/) },
    });
    expect(await state(b, onBJob)).toBe('running');
    for (let i = 0; i < 4; i++) await release(b, onBJob);
    await onB.until(() => onB.updates().some((u) => u.job_id === onBJob && u.state === 'success'));
    await onB.close();
    await c!.child.stop();
    await b.child.stop();
    // The killed job was finished once: one terminal event, on every instance.
    expect(onB.updates().filter((u) => u.job_id === onA && u.state === 'failed')).toHaveLength(1);
  });
});

describe.skipIf(skip !== null)('a Redis that stops and starts again mid-job', SLOW, () => {
  it('still brings every step and the terminal state to a stream on the other instance, and the bus reconnects by itself', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const [a, b] = await startInstances(['outage-a', 'outage-b'], {
      DATABASE_URL,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      SCHEMA: made.next(),
      CHANNEL: 'job-status',
      HEARTBEAT_MS: '300',
    });
    await Promise.all([busConnected(a!), busConnected(b!)]);
    const onB = await stream(b!);
    const jobId = await enqueue(a!, 'outage');
    const seen = () => onB.updates().filter((u) => u.job_id === jobId);
    await release(a!, jobId);
    await onB.until(() => seen().some((u) => u.phase === 'Step 1 of 3'));

    await redis.stop('SIGKILL');
    await until(async () => (await (await fetch(`${a!.url}/test/bus`)).json()) as { connected: boolean }, (s) => !s.connected, 'the bus to notice the outage');
    await release(a!, jobId);
    // No bus: the step reaches B's stream from the store, and polling B answers it too.
    await onB.until(() => seen().some((u) => u.phase === 'Step 2 of 3'), 10_000);
    const polled = (await (await fetch(`${b!.url}/jobs?ids=${jobId}`, { headers: admin })).json()) as { jobs: JobSnapshot[] };
    expect(polled.jobs[0]).toMatchObject({ state: 'running', phase: 'Step 2 of 3' });

    redis = await startRedis(port);
    await Promise.all([busConnected(a!), busConnected(b!)]);
    await release(a!, jobId);
    await onB.until(() => seen().some((u) => u.phase === 'Step 3 of 3'), 10_000);
    await release(a!, jobId);
    await onB.until(() => seen().some((u) => u.state === 'success'), 10_000);

    // Nothing was lost or reordered: B's stream equals a full replay of the log from A.
    const epoch = seen()[0]!.eventId!.split('-')[0];
    const replay = await openStream(`${a!.url}/jobs/events?kind=cluster.steps`, { ...admin, 'last-event-id': `${epoch}-0` });
    streams.push(replay);
    await replay.until(() => replay.events.some((e) => e.event === 'ready'));
    expect(seen()).toEqual(replay.updates().filter((u) => u.job_id === jobId));
    expect(steps(seen())).toEqual([
      ['queued', null],
      ['running', null],
      ['running', 'Step 1 of 3'],
      ['running', 'Step 2 of 3'],
      ['running', 'Step 3 of 3'],
      ['success', 'Step 3 of 3'],
    ]);
    await Promise.all([onB.close(), replay.close()]);
    await Promise.all([a!.child.stop(), b!.child.stop(), redis.stop()]);
  });
});
