import { afterEach, describe, expect, it } from 'vitest';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { isJobLogEvent } from '@job-status/protocol';
import { createJobStatus, memoryBus } from '@job-status/hono';
import type { BusMessage, JobBus, JobContext, JobStatusOptions } from '@job-status/hono';
import { postgresBus, postgresStore } from '@job-status/hono/postgres';
import { redisBus } from '@job-status/hono/redis';
import { Hono } from 'hono';
import { DATABASE_URL, REDIS_URL, schemas, skipMessage, uniqueName } from './fixtures/services.js';
import { asAdmin, gate, headerAuth, json, listen, openStream, quietLogger } from './support.js';

type Stream = Awaited<ReturnType<typeof openStream>>;
type Server = Awaited<ReturnType<typeof listen>>;
interface Instance {
  jobs: ReturnType<typeof createJobStatus>;
  server: Server;
}

const instances: Instance[] = [];
const streams: Stream[] = [];
const made = schemas();

afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.close()));
  for (const { jobs, server } of instances.splice(0)) {
    await jobs.close();
    await server.close();
  }
  await made.drop();
});

/** A job kind that logs `count` lines each time the test calls `step(count)`, and ends on `finish()`. */
function loggingKind() {
  const steps: Array<{ count: number; text: (i: number) => string }> = [];
  let wake = gate();
  let finished = false;
  return {
    definition: {
      run: async (c: JobContext) => {
        let n = 0;
        for (;;) {
          while (steps.length) {
            const { count, text } = steps.shift()!;
            for (let i = 0; i < count; i++) c.log('info', text(++n));
          }
          if (finished) return { message: 'done' };
          await wake.promise;
          wake = gate();
        }
      },
    },
    step(count: number, text = (i: number) => `line ${i}`) {
      steps.push({ count, text });
      wake.open();
    },
    finish() {
      finished = true;
      wake.open();
    },
  };
}

async function start(options: Partial<JobStatusOptions> = {}): Promise<Instance> {
  const jobs = createJobStatus({ authorize: headerAuth, logger: quietLogger(), heartbeatMs: 60_000, closeTimeoutMs: 50, ...options });
  const app = new Hono();
  app.route('/jobs', jobs.routes());
  const instance = { jobs, server: await listen(app) };
  instances.push(instance);
  return instance;
}

async function stream(instance: Instance, query: string, headers: Record<string, string> = asAdmin) {
  const s = await openStream(`${instance.server.url}/jobs/events${query}`, headers);
  streams.push(s);
  return s;
}

async function enqueue(instance: Instance, kind: string, headers = asAdmin, target?: string) {
  const response = await fetch(`${instance.server.url}/jobs`, json({ kind, target }, headers));
  expect(response.status).toBe(202);
  return ((await response.json()) as { job_id: string }).job_id;
}

/** Every line the stream carried for `jobId`, in arrival order. */
const linesOf = (s: Stream, jobId: string): JobLogLine[] =>
  s.events
    .filter((e) => e.event === 'job-log')
    .map((e) => JSON.parse(e.data) as unknown)
    .filter(isJobLogEvent)
    .filter((e) => e.job_id === jobId)
    .flatMap((e) => e.lines);

const seqs = (lines: JobLogLine[]) => lines.map((line) => line.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function storedLines(instance: Instance, jobId: string, count: number) {
  const deadline = Date.now() + 10_000;
  while ((await instance.jobs.logs(jobId, 0, 1000)).length < count) {
    if (Date.now() > deadline) throw new Error(`the store did not get ${count} lines`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /events?log=: log lines over a real socket', () => {
  it('sends the stored lines first, then the live ones, as job-log events without id, each once and in order', async () => {
    const a = await start();
    const kind = loggingKind();
    a.jobs.define('t.logs', kind.definition);
    const id = await enqueue(a, 't.logs');
    kind.step(5);
    await storedLines(a, id, 5);
    const s = await stream(a, `?log=${id}`);
    await s.until(() => linesOf(s, id).length >= 5);
    kind.step(3);
    await s.until(() => linesOf(s, id).length >= 8);
    kind.finish();
    await s.until(() => s.updates().some((u) => u.state === 'success'));
    expect(seqs(linesOf(s, id))).toEqual(range(1, 8));
    expect(linesOf(s, id).map((line) => line.message)).toEqual(range(1, 8).map((i) => `line ${i}`));
    for (const event of s.events.filter((e) => e.event === 'job-log')) expect(event.id).toBeUndefined();
    // log= implies job=: the stream carries the job's snapshots too.
    expect(s.updates()[0]).toMatchObject({ job_id: id });
  });

  it('resumes after the last line the client holds (log=<id>:<after>)', async () => {
    const a = await start();
    const kind = loggingKind();
    a.jobs.define('t.logs', kind.definition);
    const id = await enqueue(a, 't.logs');
    kind.step(6);
    await storedLines(a, id, 6);
    const s = await stream(a, `?log=${id}:4`);
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    kind.step(1);
    await s.until(() => linesOf(s, id).length >= 3);
    expect(seqs(linesOf(s, id))).toEqual([5, 6, 7]);
  });

  it('sends a backlog larger than the slow-reader bound at the pace the client reads it', async () => {
    const a = await start({ limits: { maxBufferedBytes: 64 * 1024 } });
    const kind = loggingKind();
    a.jobs.define('t.logs', kind.definition);
    const id = await enqueue(a, 't.logs');
    // About 1 MB of stored lines: 16 times the bound.
    kind.step(1000, (i) => `line ${i} ${'x'.repeat(1000)}`);
    await storedLines(a, id, 1000);
    const s = await stream(a, `?log=${id}`);
    expect(s.response.status).toBe(200);
    await s.until(() => linesOf(s, id).length >= 1000, 20_000);
    expect(seqs(linesOf(s, id))).toEqual(range(1, 1000));
    expect(s.ended).toBe(false);
  });

  it('paces the backlog on a web-standard stream too (app.request, no Node response)', async () => {
    const jobs = createJobStatus({ authorize: headerAuth, logger: quietLogger(), heartbeatMs: 60_000, closeTimeoutMs: 50, limits: { maxBufferedBytes: 64 * 1024 } });
    const app = new Hono();
    app.route('/jobs', jobs.routes());
    const kind = loggingKind();
    jobs.define('t.logs', kind.definition);
    try {
      const { job_id: id } = await jobs.enqueue('t.logs', undefined);
      kind.step(1000, (i) => `line ${i} ${'x'.repeat(1000)}`);
      while ((await jobs.logs(id, 0, 1000)).length < 1000) await new Promise((r) => setTimeout(r, 10));
      const controller = new AbortController();
      const response = await app.request(`/jobs/events?log=${id}`, { headers: asAdmin, signal: controller.signal });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const seen = () => [...text.matchAll(/"seq":(\d+),"ts"/g)].map((m) => Number(m[1]));
      // A reader that takes one chunk at a time, with a pause: the server waits for it.
      while (seen().length < 1000) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended after ${seen().length} lines`);
        text += decoder.decode(value, { stream: true });
        await new Promise((r) => setTimeout(r, 0));
      }
      expect(seen()).toEqual(range(1, 1000));
      controller.abort();
      await reader.cancel().catch(() => undefined);
    } finally {
      kind.finish();
      await jobs.close();
    }
  });

  it('carries no lines of a job the caller may not see, or that does not exist, and no error', async () => {
    const a = await start({ canSee: (principal, job) => job.actor === principal.name });
    const kind = loggingKind();
    a.jobs.define('t.logs', kind.definition);
    const hidden = await enqueue(a, 't.logs', { 'x-user': 'other' });
    kind.step(3);
    await storedLines(a, hidden, 3);
    const unknown = crypto.randomUUID();
    const s = await stream(a, `?log=${hidden}&log=${unknown}`);
    expect(s.response.status).toBe(200);
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    kind.step(2);
    await storedLines(a, hidden, 5);
    // A stream that may see it, opened after: proof the lines went out meanwhile.
    const own = await stream(a, `?log=${hidden}`, { 'x-user': 'other' });
    await own.until(() => linesOf(own, hidden).length >= 5);
    expect(s.events.filter((e) => e.event === 'job-log' || e.event === 'job-update')).toEqual([]);
  });

  it('fills a gap from the store when the bus loses lines, and reads what it never brought within a heartbeat', async () => {
    // A bus that drops every other log message, and all of them while `silent`.
    const inner = memoryBus();
    let silent = false;
    let dropped = 0;
    const lossy: JobBus = {
      ...inner,
      publish(message: BusMessage) {
        if (message.type === 'log' && (silent || message.last_seq % 2 === 0)) {
          dropped++;
          return;
        }
        return inner.publish(message);
      },
    };
    const a = await start({ bus: lossy, heartbeatMs: 200 });
    const kind = loggingKind();
    a.jobs.define('t.logs', kind.definition);
    const id = await enqueue(a, 't.logs');
    const s = await stream(a, `?log=${id}`);
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    for (let i = 0; i < 10; i++) kind.step(1);
    await s.until(() => linesOf(s, id).length >= 9);
    silent = true;
    kind.step(4);
    await s.until(() => linesOf(s, id).length >= 14);
    expect(dropped).toBeGreaterThanOrEqual(9);
    expect(seqs(linesOf(s, id))).toEqual(range(1, 14));
  });

  it('answers 400 naming `log` for a malformed value, and counts log= with job= toward the id limit', async () => {
    const a = await start({ limits: { maxIds: 2 } });
    for (const bad of ['nope', `${crypto.randomUUID()}:x`, `${crypto.randomUUID()}:-1`, `${crypto.randomUUID()}:1:2`]) {
      const response = await fetch(`${a.server.url}/jobs/events?log=${encodeURIComponent(bad)}`, { headers: asAdmin });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^log:/);
    }
    const three = `job=${crypto.randomUUID()}&log=${crypto.randomUUID()}&log=${crypto.randomUUID()}:3`;
    const response = await fetch(`${a.server.url}/jobs/events?${three}`, { headers: asAdmin });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('too_many_jobs');
  });
});

describe('GET /events?state= and new jobs on scoped streams', () => {
  it('carries a job only while its state is among state=, and answers 400 naming `state` for an unknown one', async () => {
    const a = await start();
    const kind = loggingKind();
    a.jobs.define('t.logs', kind.definition);
    const running = await stream(a, '?state=running');
    await running.until(() => running.events.some((e) => e.event === 'ready'));
    const id = await enqueue(a, 't.logs');
    await running.until(() => running.updates().some((u) => u.job_id === id));
    kind.finish();
    const done = await stream(a, `?job=${id}`);
    await done.until(() => done.updates().some((u) => u.state === 'success'));
    expect(new Set(running.updates().map((u) => u.state))).toEqual(new Set(['running']));
    const bad = await fetch(`${a.server.url}/jobs/events?state=running,sleeping`, { headers: asAdmin });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^state:/);
  });

  it('carries new jobs that match as they are created to kind-scoped and unfiltered streams, within canSee', async () => {
    const a = await start({ canSee: (principal, job) => job.actor === principal.name });
    a.jobs.define('t.a', { run: () => undefined });
    a.jobs.define('t.b', { run: () => undefined });
    const all = await stream(a, '');
    const scoped = await stream(a, '?kind=t.a&state=queued,success');
    const stranger = await stream(a, '', { 'x-user': 'other' });
    for (const s of [all, scoped, stranger]) await s.until(() => s.events.some((e) => e.event === 'ready'));
    const first = await enqueue(a, 't.a');
    const second = await enqueue(a, 't.b');
    await all.until(() => ['t.a', 't.b'].every((k) => all.updates().some((u) => u.kind === k && u.state === 'success')));
    await scoped.until(() => scoped.updates().some((u) => u.state === 'success'));
    expect(all.updates().find((u) => u.job_id === first)!.state).toBe('queued');
    expect(all.updates().find((u) => u.job_id === second)!.state).toBe('queued');
    expect(scoped.updates().map((u) => [u.job_id, u.state])).toEqual([
      [first, 'queued'],
      [first, 'success'],
    ]);
    expect(stranger.updates()).toEqual([]);
  });

  it('accepts job_id= as another name of job=', async () => {
    const a = await start();
    a.jobs.define('t.a', { run: () => ({ message: 'ok' }) });
    const id = await enqueue(a, 't.a');
    const s = await stream(a, `?job_id=${id}`);
    await s.until(() => s.updates().some((u: JobSnapshot) => u.job_id === id && u.state === 'success'));
    const bad = await fetch(`${a.server.url}/jobs/events?job_id=nope`, { headers: asAdmin });
    expect(bad.status).toBe(400);
  });
});

const SLOW = { timeout: 60_000 };

/** Two instances sharing one Postgres store and a networked bus: lines logged on A reach a stream on B. */
async function pair(bus: () => JobBus) {
  const schema = made.next();
  const instance = async () => {
    const jobs = await start({ store: postgresStore({ connectionString: DATABASE_URL, schema }), bus: bus() });
    await jobs.jobs.ready;
    return jobs;
  };
  const a = await instance();
  const b = await instance();
  const kind = loggingKind();
  a.jobs.define('t.logs', kind.definition);
  b.jobs.define('t.logs', { run: () => undefined });
  return { a, b, kind };
}

async function crossInstance(bus: () => JobBus, text: (i: number) => string) {
  const { a, b, kind } = await pair(bus);
  const id = await enqueue(a, 't.logs');
  kind.step(3, text);
  await storedLines(a, id, 3);
  const s = await stream(b, `?log=${id}`);
  await s.until(() => linesOf(s, id).length >= 3);
  kind.step(20, text);
  await s.until(() => linesOf(s, id).length >= 23, 10_000);
  kind.finish();
  await s.until(() => s.updates().some((u) => u.state === 'success'), 10_000);
  expect(seqs(linesOf(s, id))).toEqual(range(1, 23));
  expect(linesOf(s, id).map((line) => line.message)).toEqual(range(1, 23).map(text));
}

describe.skipIf(skipMessage(['DATABASE_URL', 'REDIS_URL']) !== null)('log lines between instances', SLOW, () => {
  it('travel on the Redis bus to a stream on another instance, each once and in order', async () => {
    const channel = uniqueName('job-status-logs');
    await crossInstance(() => redisBus({ url: REDIS_URL, channel, logger: quietLogger() }), (i) => `line ${i}`);
  });

  it('travel on the Postgres bus, lines too large for a NOTIFY included (read from the store)', async () => {
    const channel = uniqueName('logs');
    // 3 000 two-byte characters: over NOTIFY's 8 000-byte payload once JSON-encoded with the envelope.
    await crossInstance(() => postgresBus({ connectionString: DATABASE_URL, channel, logger: quietLogger() }), (i) => (i % 3 === 0 ? `big ${i} ${'é'.repeat(3000)}` : `line ${i}`));
  });
});
