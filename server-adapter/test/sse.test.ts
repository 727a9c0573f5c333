import { connect } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEventId } from '@job-status/protocol';
import { memoryStore } from '@job-status/hono';
import type { JobContext } from '@job-status/hono';
import { asAdmin, createTestJobs, gate, json, listen, openStream, until, wrap } from './support.js';

let ctx: ReturnType<typeof createTestJobs>;
let server: Awaited<ReturnType<typeof listen>>;
const streams: Array<{ close(): Promise<void> }> = [];

async function setup(options: Parameters<typeof createTestJobs>[0] = {}) {
  ctx = createTestJobs(options);
  server = await listen(ctx.app);
  return ctx;
}

afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.close()));
  await ctx?.jobs.close();
  await server?.close();
});

async function stream(query = '', headers: Record<string, string> = asAdmin) {
  const s = await openStream(`${server.url}/jobs/events${query}`, headers);
  streams.push(s);
  return s;
}

async function enqueue(kind: string, target?: string, headers = asAdmin) {
  const response = await fetch(`${server.url}/jobs`, json({ kind, target }, headers));
  expect(response.status).toBe(202);
  return ((await response.json()) as { job_id: string }).job_id;
}

/** A job that takes one step per `step()` call: a test decides exactly when each change happens. */
function steppedKind(name: string, steps: number) {
  const gates = Array.from({ length: steps + 1 }, () => gate());
  let next = 0;
  ctx.jobs.define(name, {
    run: async (c: JobContext) => {
      for (let i = 1; i <= steps; i++) {
        await gates[i - 1]!.promise;
        c.progress({ current: i, total: steps, unit: 'files' });
      }
      await gates[steps]!.promise;
      return { message: 'all done' };
    },
  });
  return { step: () => gates[next++]!.open() };
}

/**
 * A kind `t.flood` that, once the returned gate opens, changes its phase (`bytes` long) up
 * to `changes` times, until only one stream is left open.
 */
function floodKind(changes: number, bytes: number) {
  const release = gate();
  ctx.jobs.define('t.flood', {
    run: async (c) => {
      await release.promise;
      for (let i = 0; i < changes && ctx.jobs.streams > 1; i++) {
        c.phase(`${i} ${'x'.repeat(bytes)}`);
        await new Promise((r) => setImmediate(r));
      }
      return { message: 'flooded' };
    },
  });
  return release;
}

describe('GET /events over a real socket', () => {
  it('delivers a whole lifecycle in order, with increasing event ids', async () => {
    await setup();
    const job = steppedKind('t.life', 3);
    const s = await stream('?kind=t.life');
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    await enqueue('t.life', 'peer-a');
    for (let i = 1; i <= 3; i++) {
      job.step();
      await s.until(() => s.updates().some((u) => u.progress?.current === i));
    }
    job.step();
    await s.until(() => s.updates().some((u) => u.state === 'success'));
    const updates = s.updates();
    expect(updates[0]!.state).toBe('queued');
    expect(updates.map((u) => u.state).filter((v, i, a) => a[i - 1] !== v)).toEqual(['queued', 'running', 'success']);
    expect(updates.filter((u) => u.progress).map((u) => u.progress!.current)).toEqual([1, 2, 3, 3]);
    const seqs = updates.slice(1).map((u) => parseEventId(u.eventId)!.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(updates.at(-1)).toMatchObject({ message: 'all done', finished_at: expect.any(String) });
  });

  it('starts a fresh stream with the current snapshot of each job, and a ready event that marks the position', async () => {
    await setup();
    ctx.jobs.define('t.done', { run: () => ({ message: 'finished earlier' }) });
    const id = await enqueue('t.done');
    for (let i = 0; (await ctx.jobs.get(id))!.state !== 'success' && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
    const s = await stream(`?job=${id}`);
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    expect(s.updates()).toEqual([expect.objectContaining({ job_id: id, state: 'success', message: 'finished earlier' })]);
    const ready = s.events.find((e) => e.event === 'ready')!;
    expect(parseEventId(ready.id)!.seq).toBe((await ctx.jobs.get(id))!.seq);
  });

  it("goes out with its own headers, and with those an app's middleware set before the job routes", async () => {
    await setup();
    ctx.jobs.define('t.done', { run: () => ({ message: 'finished earlier' }) });
    const id = await enqueue('t.done');
    await until(async () => (await ctx.jobs.get(id))!.state === 'success');
    const expectStreamHeaders = (response: Response) => {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      expect(response.headers.get('content-encoding')).toBe('identity');
      expect(response.headers.get('job-status-heartbeat')).toBe('60000');
    };
    // Nothing of the app runs before the routes.
    const own = await stream(`?job=${id}`);
    await own.until(() => own.events.some((e) => e.event === 'ready'));
    expectStreamHeaders(own.response);
    expect(own.response.headers.get('x-app-before')).toBeNull();
    expect(own.events.map((e) => e.event)).toEqual(['heartbeat', 'job-update', 'ready']);
    // The app's own middleware runs first and sets a header (as CORS middleware does).
    const app = new Hono();
    app.use('*', async (c, next) => {
      c.header('X-App-Before', 'set before next');
      await next();
    });
    app.route('/jobs', ctx.jobs.routes());
    const wrapped = await listen(app);
    try {
      const s = await openStream(`${wrapped.url}/jobs/events?job=${id}`, asAdmin);
      streams.push(s);
      await s.until(() => s.events.some((e) => e.event === 'ready'));
      expectStreamHeaders(s.response);
      expect(s.response.headers.get('x-app-before')).toBe('set before next');
      expect(s.events.map((e) => e.event)).toEqual(['heartbeat', 'job-update', 'ready']);
      expect(s.updates()).toEqual([expect.objectContaining({ job_id: id, state: 'success', eventId: undefined })]);
      await s.close();
    } finally {
      await wrapped.close();
    }
  });

  it('replays exactly the missed events to a reconnect with Last-Event-ID taken mid-job', async () => {
    await setup();
    const job = steppedKind('t.resume', 6);
    const id = await enqueue('t.resume');
    const witness = await stream(`?job=${id}`);
    const first = await stream(`?job=${id}`);
    job.step();
    job.step();
    await first.until(() => first.updates().some((u) => u.progress?.current === 2));
    const lastId = first.updates().at(-1)!.eventId!;
    await first.close();
    for (let i = 0; i < 5; i++) job.step();
    await witness.until(() => witness.updates().some((u) => u.state === 'success'));
    const missed = witness.updates().filter((u) => u.eventId && parseEventId(u.eventId)!.seq > parseEventId(lastId)!.seq);

    const resumed = await stream(`?job=${id}`, { ...asAdmin, 'last-event-id': lastId });
    await resumed.until(() => resumed.events.some((e) => e.event === 'ready'));
    expect(resumed.events.some((e) => e.event === 'resync')).toBe(false);
    expect(resumed.updates().map((u) => u.eventId)).toEqual(missed.map((u) => u.eventId));
    expect(resumed.updates().at(-1)!.state).toBe('success');

    const byQuery = await stream(`?job=${id}&last_event_id=${lastId}`);
    await byQuery.until(() => byQuery.events.some((e) => e.event === 'ready'));
    expect(byQuery.updates().map((u) => u.eventId)).toEqual(missed.map((u) => u.eventId));
  });

  it('holds the live events that come while a replay reads the store, and sends them after it: each event once, in log order', async () => {
    // The replay from the resume point waits on the store until the test lets it go.
    const inner = memoryStore();
    const replayReading = gate();
    const replayMayRead = gate();
    let resumeSeq = -1;
    const store = wrap(inner, {
      readEvents: async (after, limit) => {
        if (after === resumeSeq) {
          replayReading.open();
          await replayMayRead.promise;
        }
        return inner.readEvents(after, limit);
      },
    });
    await setup({ store });
    const job = steppedKind('t.race', 4);
    const id = await enqueue('t.race');
    const witness = await stream(`?job=${id}`);
    const first = await stream(`?job=${id}`);
    job.step();
    await first.until(() => first.updates().some((u) => u.progress?.current === 1));
    const lastId = first.updates().at(-1)!.eventId!;
    await first.close();
    job.step();
    await witness.until(() => witness.updates().some((u) => u.progress?.current === 2));

    resumeSeq = parseEventId(lastId)!.seq;
    const resuming = stream(`?job=${id}`, { ...asAdmin, 'last-event-id': lastId });
    await replayReading.promise;
    // Live while the replay waits: the witness has it, so the hub has offered it to every stream.
    job.step();
    await witness.until(() => witness.updates().some((u) => u.progress?.current === 3));
    replayMayRead.open();
    const resumed = await resuming;
    await resumed.until(() => resumed.events.some((e) => e.event === 'ready'));
    job.step();
    job.step();
    await witness.until(() => witness.updates().some((u) => u.state === 'success'));
    await resumed.until(() => resumed.updates().some((u) => u.state === 'success'));

    const seqOf = (eventId: string | undefined) => parseEventId(eventId!)!.seq;
    const expected = witness.updates().filter((u) => u.eventId && seqOf(u.eventId) > resumeSeq).map((u) => seqOf(u.eventId));
    expect(resumed.updates().map((u) => seqOf(u.eventId))).toEqual(expected);
    // The store had the held event by the time the replay read it: the replay covered it, and `ready` marks that.
    const ready = seqOf(resumed.events.find((e) => e.event === 'ready')!.id);
    expect(ready).toBeGreaterThanOrEqual(seqOf(witness.updates().find((u) => u.progress?.current === 3)!.eventId));
  });

  it('sends resync and the current snapshots when the resume point is from another epoch', async () => {
    await setup();
    ctx.jobs.define('t.now', { run: () => undefined });
    const id = await enqueue('t.now');
    const s = await stream(`?job=${id}`, { ...asAdmin, 'last-event-id': 'otherepoch-3' });
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    const names = s.events.map((e) => e.event).filter((e) => e !== 'heartbeat');
    expect(names).toEqual(['resync', 'job-update', 'ready']);
  });

  it('sends a resynced scoped or unfiltered stream the current snapshot of each job it carries that changed since, within canSee', async () => {
    await setup({ canSee: (principal, job) => job.actor === principal.name });
    ctx.jobs.define('t.a', { run: () => ({ message: 'done' }) });
    ctx.jobs.define('t.b', { run: () => undefined });
    const held = gate();
    ctx.jobs.define('t.busy', { run: () => held.promise });
    const old = await enqueue('t.a');
    for (let i = 0; (await ctx.jobs.get(old))!.state !== 'success' && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
    const since = (await ctx.jobs.get(old))!.seq;
    const done = await enqueue('t.a');
    const busy = await enqueue('t.busy');
    const other = await enqueue('t.b');
    const hidden = await enqueue('t.a', undefined, { 'x-user': 'other' });
    for (let i = 0; (await ctx.jobs.get(done))!.state !== 'success' && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
    // Another epoch: what the client held cannot be replayed, but numbers only grow.
    const scoped = await stream('?kind=t.a,t.busy', { ...asAdmin, 'last-event-id': `otherepoch-${since}` });
    const all = await stream('', { ...asAdmin, 'last-event-id': `otherepoch-${since}` });
    for (const s of [scoped, all]) await s.until(() => s.events.some((e) => e.event === 'ready'));
    expect(scoped.events.map((e) => e.event).filter((e) => e !== 'heartbeat')[0]).toBe('resync');
    expect(new Set(scoped.updates().map((u) => u.job_id))).toEqual(new Set([done, busy]));
    expect(scoped.updates().find((u) => u.job_id === done)!.state).toBe('success');
    expect(new Set(all.updates().map((u) => u.job_id))).toEqual(new Set([done, busy, other]));
    expect([...scoped.updates(), ...all.updates()].some((u) => u.job_id === hidden || u.job_id === old)).toBe(false);
    held.open();
  });

  it('sends resync when the resume point is ahead of the log', async () => {
    await setup();
    const s = await stream('', { ...asAdmin, 'last-event-id': 'x-999999' });
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    const ready = s.events.find((e) => e.event === 'ready')!;
    const epoch = parseEventId(ready.id)!.epoch;
    const ahead = await stream('', { ...asAdmin, 'last-event-id': `${epoch}-999999` });
    await ahead.until(() => ahead.events.some((e) => e.event === 'ready'));
    expect(ahead.events.map((e) => e.event)).toContain('resync');
  });

  it('gives two streams with different filters only their own jobs', async () => {
    await setup();
    ctx.jobs.define('t.a', { run: () => undefined });
    ctx.jobs.define('t.b', { run: () => undefined });
    const pushA = await stream('?kind=t.a');
    const onPeerB = await stream('?target=peer-b');
    const everything = await stream('');
    const a = await enqueue('t.a', 'peer-a');
    const b = await enqueue('t.b', 'peer-b');
    const a2 = await enqueue('t.a', 'peer-b');
    await everything.until(() => [a, b, a2].every((id) => everything.updates().some((u) => u.job_id === id && u.state === 'success')));
    await pushA.until(() => pushA.updates().some((u) => u.job_id === a2 && u.state === 'success'));
    await onPeerB.until(() => onPeerB.updates().some((u) => u.job_id === a2 && u.state === 'success'));
    expect(new Set(pushA.updates().map((u) => u.job_id))).toEqual(new Set([a, a2]));
    expect(new Set(onPeerB.updates().map((u) => u.job_id))).toEqual(new Set([b, a2]));
  });

  it('sends each event once to a stream that names a job and its kind, and to many streams on one job', async () => {
    await setup();
    const job = steppedKind('t.once', 2);
    const id = await enqueue('t.once', 'peer-a');
    const both = await stream(`?job=${id}&kind=t.once`);
    const many = await Promise.all(Array.from({ length: 5 }, () => stream(`?job=${id}`)));
    for (const s of [both, ...many]) await s.until(() => s.events.some((e) => e.event === 'ready'));
    job.step();
    job.step();
    job.step();
    for (const s of [both, ...many]) {
      await s.until(() => s.updates().some((u) => u.state === 'success'));
      const ids = s.updates().filter((u) => u.eventId).map((u) => u.eventId);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('carries nothing of a job the caller may not see, live or replayed, and refuses a viewer', async () => {
    await setup({ canSee: (principal, job) => job.actor === principal.name });
    ctx.jobs.define('t.own', { run: () => undefined });
    const otherHeaders = { 'x-user': 'other' };
    const mine = await stream('');
    const theirs = await stream('', otherHeaders);
    const hidden = await enqueue('t.own', 'peer-a');
    const visible = await enqueue('t.own', 'peer-a', otherHeaders);
    await theirs.until(() => theirs.updates().some((u) => u.job_id === visible && u.state === 'success'));
    await mine.until(() => mine.updates().some((u) => u.job_id === hidden && u.state === 'success'));
    expect(theirs.updates().some((u) => u.job_id === hidden)).toBe(false);
    const replay = await stream(`?job=${hidden}&job=${visible}`, { ...otherHeaders, 'last-event-id': `${parseEventId(theirs.events.find((e) => e.event === 'ready')!.id)!.epoch}-0` });
    await replay.until(() => replay.events.some((e) => e.event === 'ready'));
    expect(replay.updates().length).toBeGreaterThan(0);
    expect(replay.updates().every((u) => u.job_id === visible)).toBe(true);
    const fresh = await stream(`?job=${hidden}`, otherHeaders);
    await fresh.until(() => fresh.events.some((e) => e.event === 'ready'));
    expect(fresh.updates()).toEqual([]);
    const viewer = await fetch(`${server.url}/jobs/events`, { headers: { 'x-user': 'viewer' } });
    expect(viewer.status).toBe(403);
    const viewerPoll = await fetch(`${server.url}/jobs?ids=${hidden}`, { headers: { 'x-user': 'viewer' } });
    expect(viewerPoll.status).toBe(403);
  });

  it('sends heartbeats that carry no id, so they never move the resume point', async () => {
    await setup({ heartbeatMs: 30 });
    const s = await stream('');
    await s.until(() => s.events.filter((e) => e.event === 'heartbeat').length >= 3);
    for (const beat of s.events.filter((e) => e.event === 'heartbeat')) {
      expect(beat.id).toBeUndefined();
      expect(JSON.parse(beat.data)).toEqual({ interval_ms: 30 });
    }
  });

  it('cuts off a reader that stopped reading, while other streams go on', async () => {
    await setup({ limits: { maxBufferedBytes: 64 * 1024, maxTextLength: 64 * 1024 } });
    // Floods until the stalled reader is cut off (its socket buffers hold a few MB first).
    const release = floodKind(400, 60_000);
    const id = await enqueue('t.flood');
    const healthy = await stream(`?job=${id}`);
    // A client that sends its request and never reads a byte of the answer.
    const { port } = new URL(server.url);
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.on('error', () => undefined);
    stalled.write(`GET /jobs/events?job=${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user: admin\r\n\r\n`);
    stalled.pause();
    for (let i = 0; i < 200 && ctx.jobs.streams < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(ctx.jobs.streams).toBe(2);
    release.open();
    await healthy.until(() => healthy.updates().some((u) => u.state === 'success'), 20_000);
    expect(healthy.ended).toBe(false);
    expect(ctx.jobs.streams).toBe(1);
    expect(ctx.logger.errors.some((e) => String(e.reason).includes('fell more than'))).toBe(true);
    stalled.destroy();
  }, 30_000);

  it('releases a stream when the client goes away', async () => {
    await setup();
    const s = await stream('');
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    expect(ctx.jobs.streams).toBe(1);
    await s.close();
    for (let i = 0; i < 200 && ctx.jobs.streams > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(ctx.jobs.streams).toBe(0);
  });

  it('ends every stream on close', async () => {
    await setup();
    const s = await stream('');
    await s.until(() => s.events.some((e) => e.event === 'ready'));
    await ctx.jobs.close();
    await s.done;
    expect(s.ended).toBe(true);
  });
});

describe('GET /events through app.request (the web-stream sink, as on runtimes other than Node)', () => {
  it('cuts off a reader that stopped reading, while a reader that reads goes on', async () => {
    ctx = createTestJobs({ limits: { maxBufferedBytes: 64 * 1024, maxTextLength: 64 * 1024 } });
    // Each change is about 8 KB: the stalled stream passes its 64 KB bound within ten.
    const release = floodKind(100, 8_000);
    const { job_id: id } = await ctx.jobs.enqueue('t.flood');
    const healthy = await ctx.app.request(`/jobs/events?job=${id}`, { headers: asAdmin });
    const stalled = await ctx.app.request(`/jobs/events?job=${id}`, { headers: asAdmin });
    expect([healthy.status, stalled.status]).toEqual([200, 200]);
    expect(ctx.jobs.streams).toBe(2);
    // The healthy reader takes every chunk as it comes; the stalled one never calls read().
    let text = '';
    const decoder = new TextDecoder();
    const reader = healthy.body!.getReader();
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    release.open();
    await until(() => text.includes('"state":"success"'));
    expect(ctx.jobs.streams).toBe(1);
    // Logged as on Node, so an operator sees why a stream was cut whatever the runtime.
    expect(ctx.logger.errors).toContainEqual(expect.objectContaining({ reason: expect.stringContaining('fell more than 65536 bytes behind') }));
    // What the cut stream held is dropped: its reader gets why, not the backlog.
    await expect(stalled.body!.getReader().read()).rejects.toThrow(/fell more than 65536 bytes behind/);
    await reader.cancel();
    await reading;
  });
});
