/**
 * Reliability: enqueues that try to break the write path — a hostile input, a flood, a
 * reused idempotency key (issue 13, findings 2, 5 and 10). Each must get a clear 4xx or
 * 503, and never cost another job its data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import type { JobStatus } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { createTestJobs, gate, json, until } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'job-status-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

let open: JobStatus[] = [];
afterEach(async () => {
  await Promise.all(open.map((jobs) => jobs.close()));
  open = [];
});

function service(options: Parameters<typeof createTestJobs>[0] = {}) {
  const made = createTestJobs({ closeTimeoutMs: 100, ...options });
  open.push(made.jobs);
  return made;
}

/** `[[[…]]]`, `depth` arrays deep, as JSON text (building it as a value would need the stack JSON.stringify lacks). */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const rawPost = (body: string, user = 'admin') => ({ method: 'POST', headers: { 'content-type': 'application/json', 'x-user': user }, body });

describe('an input nested 30 000 levels deep', () => {
  it('gets 400 naming the input, and the jobs running meanwhile keep every log line', async () => {
    const { jobs, app } = service({ store: sqliteStore({ path: join(dir, `jobs-${files++}.db`) }) });
    const release = gate();
    // No input schema, like dedalus.verify: the input reaches the store as it came.
    jobs.define('t.verify', {
      run: async (ctx) => {
        for (let i = 1; i <= 4; i++) {
          ctx.log('info', `line ${i}`);
          ctx.progress({ current: i, total: 4 });
          if (i === 2) await release.promise;
        }
        return { message: 'Verified' };
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await jobs.enqueue('t.verify', { n: i })).job_id);
    await until(async () => (await Promise.all(ids.map((id) => jobs.get(id)))).every((job) => job?.state === 'running'));

    const body = `{"kind":"t.verify","input":${nested(30_000)}}`;
    const answers = await Promise.all(Array.from({ length: 57 }, () => app.request('/jobs', rawPost(body))));
    release.open();
    const statuses = answers.map((answer) => answer.status);
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect(await answers[0]!.json()).toEqual({ error: { code: 'input_too_deep', message: 'input: nested more than 32 levels deep' } });

    const settled = await until(async () => {
      const all = await Promise.all(ids.map((id) => jobs.get(id)));
      return all.every((job) => job?.state === 'success') && all;
    });
    const lines = (await Promise.all(ids.map((id) => jobs.logs(id)))).flat();
    expect(settled).toHaveLength(8);
    expect(lines).toHaveLength(32);
    console.log(`57 inputs 30 000 deep (${body.length} bytes each): ${statuses.length} × 400; 8 jobs running meanwhile kept 32 of 32 log lines`);
  }, 30_000);

  it('is refused before anything is queued when server code enqueues it too', async () => {
    const { jobs } = service();
    jobs.define('t.any', { run: () => undefined });
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 40; i++) at.push((at = []));
    await expect(jobs.enqueue('t.any', deep)).rejects.toMatchObject({ status: 400, code: 'input_too_deep' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(jobs.enqueue('t.any', cycle)).rejects.toMatchObject({ status: 400, code: 'input_too_deep' });
    await expect(jobs.enqueue('t.any', { big: 'x'.repeat(70_000) })).rejects.toMatchObject({ status: 413, code: 'input_too_large' });
    await expect(jobs.enqueue('t.any', { n: 10n })).rejects.toMatchObject({ status: 400, code: 'invalid_input' });
    expect((await jobs.list()).jobs).toEqual([]);
  });
});

describe('a flood of enqueues', () => {
  it('stops at the bound on queued jobs of a kind with 503 and Retry-After, while other kinds go on', async () => {
    const { jobs, app } = service({ limits: { maxQueuedPerKind: 3, maxQueuedJobs: 5 } });
    const hold = gate();
    jobs.define('t.slow', { concurrency: 1, run: () => hold.promise });
    jobs.define('t.other', { concurrency: 1, run: () => hold.promise });
    const post = (kind: string) => app.request('/jobs', json({ kind }));
    // One runs, three wait: the fifth has no place.
    expect((await post('t.slow')).status).toBe(202);
    await until(async () => (await jobs.list({ states: ['running'] })).jobs.length === 1);
    const waiting3 = await Promise.all([1, 2, 3].map(() => post('t.slow')));
    expect(waiting3.map((r) => r.status)).toEqual([202, 202, 202]);
    const full = await post('t.slow');
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await full.json()).toMatchObject({ error: { code: 'queue_full', message: expect.stringMatching(/3 jobs of t\.slow/) } });
    // Another kind still has room, until the overall bound (5 waiting).
    expect((await post('t.other')).status).toBe(202);
    await until(async () => (await jobs.list({ states: ['running'] })).jobs.length === 2);
    expect((await post('t.other')).status).toBe(202);
    expect((await post('t.other')).status).toBe(202);
    const overall = await post('t.other');
    expect(overall.status).toBe(503);
    expect(await overall.json()).toMatchObject({ error: { code: 'queue_full', message: expect.stringMatching(/^5 jobs are already waiting/) } });
    // A canceled job gives its place back.
    const waiting = (await jobs.list({ kinds: ['t.slow'], states: ['queued'] })).jobs;
    await jobs.cancel(waiting[0]!.job_id);
    expect((await post('t.slow')).status).toBe(202);
    hold.open();
  });

  it('limits each caller\'s enqueue rate with 429 and Retry-After, without touching other callers', async () => {
    const { jobs, app } = service({ limits: { enqueueBurst: 5, enqueuesPerMinute: 60 } });
    jobs.define('t.quick', { run: () => undefined });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await app.request('/jobs', json({ kind: 't.quick' })));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    const limited = answers[5]!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await app.request('/jobs', json({ kind: 't.quick' }, { 'x-user': 'other' }))).status).toBe(202);
  });

  it('keeps memory bounded: 2 000 enqueues of 60 KB inputs behind a busy kind', async () => {
    const { jobs, app } = service({ limits: { enqueueBurst: 100_000, enqueuesPerMinute: 6_000_000 } });
    const hold = gate();
    jobs.define('dedalus.verify', { concurrency: 1, run: () => hold.promise });
    jobs.define('sync.push', { run: () => ({ message: 'pushed' }) });
    const body = JSON.stringify({ kind: 'dedalus.verify', input: { pad: 'x'.repeat(60_000) } });
    expect((await app.request('/jobs', rawPost(body))).status).toBe(202);
    await until(async () => (await jobs.list({ states: ['running'] })).jobs.length === 1);
    global.gc?.();
    const before = process.memoryUsage();
    const counts: Record<number, number> = {};
    for (let i = 0; i < 2_000; i++) {
      const status = (await app.request('/jobs', rawPost(body))).status;
      counts[status] = (counts[status] ?? 0) + 1;
    }
    global.gc?.();
    const after = process.memoryUsage();
    expect(counts).toEqual({ 202: 500, 503: 1_500 });
    // A legitimate push does not wait behind the flood.
    const push = (await (await app.request('/jobs', json({ kind: 'sync.push' }))).json()) as { job_id: string };
    const done = await until(async () => {
      const job = await jobs.get(push.job_id);
      return job?.state === 'success' && job;
    });
    expect((done as JobSnapshot).state).toBe('success');
    hold.open();
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
    console.log(
      `2 000 enqueues of 60 KB behind 1 running: ${counts[202]} accepted (the queue bound of a kind), ${counts[503]} × 503 queue_full; ` +
        `rss ${mb(before.rss)} → ${mb(after.rss)}, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}; a push behind them succeeded at once`,
    );
  }, 120_000);
});

describe('an Idempotency-Key used again', () => {
  it('returns the first job for the same request, and 422 for another kind, target or input', async () => {
    const { jobs, app } = service();
    jobs.define('t.a', { run: () => undefined });
    jobs.define('t.b', { run: () => undefined });
    const post = (body: unknown) => app.request('/jobs', json(body, { 'x-user': 'admin', 'idempotency-key': 'key-1' }));
    const first = (await (await post({ kind: 't.a', target: 'peer-a', input: { x: 1, y: 2 } })).json()) as { job_id: string };
    const again = await post({ kind: 't.a', target: 'peer-a', input: { y: 2, x: 1 } });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { job_id: string }).job_id).toBe(first.job_id);
    for (const [body, field] of [
      [{ kind: 't.b', target: 'peer-a', input: { x: 1, y: 2 } }, 'kind'],
      [{ kind: 't.a', target: 'peer-b', input: { x: 1, y: 2 } }, 'target'],
      [{ kind: 't.a', target: 'peer-a', input: { x: 1, y: 3 } }, 'input'],
    ] as const) {
      const reused = await post(body);
      expect(reused.status).toBe(422);
      expect(await reused.json()).toEqual({
        error: { code: 'idempotency_key_reused', message: `Idempotency-Key: already used for a request with another ${field}; use a new key for a different request` },
      });
    }
    expect((await jobs.list()).jobs).toHaveLength(1);
  });
});
