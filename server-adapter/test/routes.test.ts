import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobSnapshot } from '@job-status/protocol';
import { isErrorBody, isJobSnapshot } from '@job-status/protocol';
import { asAdmin, createTestJobs, gate, json } from './support.js';

let ctx: ReturnType<typeof createTestJobs>;
afterEach(async () => {
  await ctx?.jobs.close();
});

function setup(options: Parameters<typeof createTestJobs>[0] = {}) {
  ctx = createTestJobs(options);
  ctx.jobs.define('t.quick', { label: 'Quick', run: (c) => { c.log('info', 'hello'); c.log('warn', 'careful'); return { message: 'done' }; } });
  ctx.jobs.define('t.input', { label: 'With input', input: z.object({ peer: z.string().min(1), count: z.number().int().max(10).optional() }), run: () => undefined });
  return ctx;
}

/** `path` is relative to the mount point; `/` and `/?q` mean the mount point itself. */
const request = (path: string, init: RequestInit = {}) =>
  ctx.app.request(`/jobs${path.replace(/^\/(?=\?|$)/, '')}`, { ...init, headers: { ...asAdmin, ...(init.headers as Record<string, string>) } });

async function expectError(response: Response, status: number, code: string, field?: RegExp) {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(isErrorBody(body)).toBe(true);
  expect(body.error.code).toBe(code);
  if (field) expect(body.error.message).toMatch(field);
}

async function enqueue(body: unknown = { kind: 't.quick', target: 'peer-a' }) {
  const response = await ctx.app.request('/jobs', json(body));
  expect(response.status).toBe(202);
  return (await response.json()) as { job_id: string; initial_status: JobSnapshot };
}

async function settled(id: string) {
  for (let i = 0; i < 200; i++) {
    const job = (await (await request(`/${id}`)).json()) as JobSnapshot;
    if (!['queued', 'running'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('did not settle');
}

describe('routes', () => {
  describe('authorization', () => {
    it('answers 401 without an identity and 403 for an identity that is not allowed, on every route', async () => {
      setup();
      const { job_id } = await enqueue();
      const routes: Array<[string, string]> = [
        ['POST', '/'], ['GET', '/'], ['GET', `/?ids=${job_id}`], ['GET', '/events'], ['GET', '/kinds'],
        ['GET', `/${job_id}`], ['GET', `/${job_id}/logs`], ['POST', `/${job_id}/cancel`],
      ];
      for (const [method, path] of routes) {
        const url = `/jobs${path.replace(/^\/(?=\?|$)/, '')}`;
        const anonymous = await ctx.app.request(url, { method });
        await expectError(anonymous, 401, 'unauthorized');
        const viewer = await ctx.app.request(url, { method, headers: { 'x-user': 'viewer' } });
        await expectError(viewer, 403, 'forbidden');
      }
    });

    it('hides jobs canSee refuses on every read route, as if they did not exist', async () => {
      setup({ canSee: (principal, job) => job.actor === (principal.name ?? principal.id) });
      const { job_id } = await enqueue();
      const other = { 'x-user': 'other' };
      await expectError(await ctx.app.request(`/jobs/${job_id}`, { headers: other }), 404, 'not_found');
      await expectError(await ctx.app.request(`/jobs/${job_id}/logs`, { headers: other }), 404, 'not_found');
      await expectError(await ctx.app.request(`/jobs/${job_id}/cancel`, { method: 'POST', headers: other }), 404, 'not_found');
      expect((await (await ctx.app.request(`/jobs?ids=${job_id}`, { headers: other })).json()).jobs).toEqual([]);
      expect((await (await ctx.app.request('/jobs', { headers: other })).json()).jobs).toEqual([]);
      expect((await (await request(`/?ids=${job_id}`)).json()).jobs).toHaveLength(1);
    });
  });

  describe('POST /', () => {
    it('answers 202 with the queued snapshot and the actor of the caller', async () => {
      setup();
      const { job_id, initial_status } = await enqueue({ kind: 't.quick', target: 'peer-a' });
      expect(isJobSnapshot(initial_status)).toBe(true);
      expect(initial_status).toMatchObject({ job_id, state: 'queued', label: 'Quick', target: 'peer-a', actor: 'Ada Admin' });
    });

    it.each([
      ['a missing kind', {}, 'invalid_kind', /^kind: /],
      ['a kind that is not text', { kind: 5 }, 'invalid_kind', /^kind: /],
      ['an unknown kind', { kind: 'nope' }, 'unknown_kind', /^kind: /],
      ['a target that is not text', { kind: 't.quick', target: ['a'] }, 'invalid_target', /^target: /],
      ['a target with control characters', { kind: 't.quick', target: 'a\nb' }, 'invalid_target', /^target: /],
      ['invalid input', { kind: 't.input', input: { peer: '' } }, 'invalid_input', /^input\.peer: /],
      ['a nested invalid input', { kind: 't.input', input: { peer: 'a', count: 11 } }, 'invalid_input', /^input\.count: /],
      ['a body that is not an object', [1, 2], 'invalid_body', /^body: /],
    ])('answers 400 for %s, naming the field, and makes no job', async (_name, body, code, field) => {
      setup();
      await expectError(await ctx.app.request('/jobs', json(body)), 400, code, field);
      expect((await (await request('/')).json()).jobs).toEqual([]);
    });

    it('answers 400 for malformed JSON, 415 for another content type and 413 for a large body', async () => {
      setup({ limits: { maxBodyBytes: 1024 } });
      await expectError(await request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":' }), 400, 'invalid_json', /^body: /);
      await expectError(await request('/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'kind=t.quick' }), 415, 'unsupported_media_type', /Content-Type/);
      await expectError(await ctx.app.request('/jobs', json({ kind: 't.quick', input: 'x'.repeat(2000) })), 413, 'payload_too_large');
    });

    it('returns the same job for a repeated Idempotency-Key, and never runs it twice', async () => {
      setup();
      let runs = 0;
      ctx.jobs.define('t.count', { run: () => void runs++ });
      const send = () => ctx.app.request('/jobs', json({ kind: 't.count' }, { ...asAdmin, 'idempotency-key': 'click-1' }));
      const [a, b] = await Promise.all([send(), send()]);
      const first = (await a!.json()).job_id;
      expect((await b!.json()).job_id).toBe(first);
      await settled(first);
      expect((await (await send()).json()).job_id).toBe(first);
      expect(runs).toBe(1);
      await expectError(await ctx.app.request('/jobs', json({ kind: 't.count' }, { ...asAdmin, 'idempotency-key': 'has space' })), 400, 'invalid_idempotency_key', /Idempotency-Key/);
    });
  });

  describe('GET /:id', () => {
    it('answers the snapshot with an ETag, 304 for a matching If-None-Match, and the advertised poll interval', async () => {
      setup({ minPollIntervalS: 5 });
      const { job_id } = await enqueue();
      const job = await settled(job_id);
      const response = await request(`/${job_id}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(job);
      const etag = response.headers.get('etag')!;
      expect(etag).toBeTruthy();
      expect(response.headers.get('job-status-min-interval')).toBe('5');
      const again = await request(`/${job_id}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    });

    it('answers 200 with the new snapshot once the job changed, though the old ETag is sent', async () => {
      setup();
      const step = gate();
      const done = gate();
      ctx.jobs.define('t.steps', {
        run: async (c) => {
          await step.promise;
          c.progress({ percent: 50 });
          await done.promise;
        },
      });
      const { job_id } = await enqueue({ kind: 't.steps' });
      const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
      let first: Response;
      let before: JobSnapshot;
      for (;;) {
        first = await request(`/${job_id}`);
        before = (await first.json()) as JobSnapshot;
        if (before.state === 'running') break;
        await pause();
      }
      const etag = first.headers.get('etag')!;
      step.open();
      let changed: Response;
      while ((changed = await request(`/${job_id}`, { headers: { 'if-none-match': etag } })).status === 304) await pause();
      expect(changed.status).toBe(200);
      const after = (await changed.json()) as JobSnapshot;
      expect(after.seq).toBeGreaterThan(before.seq);
      expect(after.progress?.percent).toBe(50);
      expect(changed.headers.get('etag')).not.toBe(etag);
      done.open();
      await settled(job_id);
    });

    it('answers 404 for an unknown job and 400 for an id that is not a UUID', async () => {
      setup();
      await expectError(await request(`/${crypto.randomUUID()}`), 404, 'not_found');
      await expectError(await request('/not-a-uuid'), 400, 'invalid_id', /^id: /);
    });
  });

  describe('GET /', () => {
    it('lists history newest first with filters, and pages with a cursor', async () => {
      setup();
      const ids: string[] = [];
      for (const target of ['a', 'b', 'a', 'b', 'a']) {
        ids.push((await enqueue({ kind: 't.quick', target })).job_id);
        await new Promise((r) => setTimeout(r, 2));
      }
      for (const id of ids) await settled(id);
      const all = (await (await request('/')).json()).jobs as JobSnapshot[];
      expect(all.map((j) => j.job_id)).toEqual([...ids].reverse());
      const page1 = await (await request('/?target=a&limit=2')).json();
      expect(page1.jobs.map((j: JobSnapshot) => j.job_id)).toEqual([ids[4], ids[2]]);
      const page2 = await (await request(`/?target=a&limit=2&cursor=${page1.next_cursor}`)).json();
      expect(page2.jobs.map((j: JobSnapshot) => j.job_id)).toEqual([ids[0]]);
      expect(page2.next_cursor).toBeNull();
      const oldest = await (await request('/?sort=created_asc&limit=1')).json();
      expect(oldest.jobs[0].job_id).toBe(ids[0]);
      expect((await (await request('/?state=failed,canceled')).json()).jobs).toEqual([]);
      expect((await (await request('/?state=success&kind=t.quick')).json()).jobs).toHaveLength(5);
    });

    it('answers several jobs at once for ?ids=, with an ETag that changes when one of them does', async () => {
      setup();
      const release = gate();
      ctx.jobs.define('t.hold', { run: () => release.promise });
      const a = (await enqueue({ kind: 't.hold' })).job_id;
      const b = (await enqueue()).job_id;
      await settled(b);
      const missing = crypto.randomUUID();
      const first = await request(`/?ids=${a},${b}&ids=${missing}`);
      const body = await first.json();
      expect(body.jobs.map((j: JobSnapshot) => j.job_id)).toEqual([a, b]);
      expect(body.next_cursor).toBeNull();
      const etag = first.headers.get('etag')!;
      expect((await request(`/?ids=${a},${b}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
      release.open();
      await settled(a);
      expect((await request(`/?ids=${a},${b}`, { headers: { 'if-none-match': etag } })).status).toBe(200);
    });

    it('advertises how many ids one request may name, on its answers and on the refusal of too many', async () => {
      setup({ limits: { maxIds: 3 } });
      const ids = Array.from({ length: 4 }, () => crypto.randomUUID());
      const fine = await request(`/?ids=${ids.slice(0, 3).join(',')}`);
      expect(fine.status).toBe(200);
      expect(fine.headers.get('job-status-max-ids')).toBe('3');
      expect((await request('/?limit=1')).headers.get('job-status-max-ids')).toBe('3');
      const refused = await request(`/?ids=${ids.join(',')}`);
      expect(refused.headers.get('job-status-max-ids')).toBe('3');
      await expectError(refused, 400, 'too_many_ids', /^ids: at most 3 /);
    });

    it.each([
      ['?state=done', 'invalid_state', /^state: /],
      ['?limit=0', 'invalid_limit', /^limit: /],
      ['?limit=101', 'invalid_limit', /^limit: /],
      ['?limit=ten', 'invalid_limit', /^limit: /],
      ['?sort=random', 'invalid_sort', /^sort: /],
      ['?cursor=bogus', 'invalid_cursor', /^cursor: /],
      ['?ids=1,2', 'invalid_id', /^ids: /],
      ['?ids= with 101 ids', 'too_many_ids', /^ids: /],
    ])('answers 400 for %s, naming the field', async (query, code, field) => {
      setup();
      const url = query.startsWith('?ids= with') ? `?ids=${Array.from({ length: 101 }, () => crypto.randomUUID()).join(',')}` : query;
      await expectError(await request(`/${url}`), 400, code, field);
    });
  });

  describe('GET /:id/logs', () => {
    it('answers lines after a position, and the next position', async () => {
      setup();
      const { job_id } = await enqueue();
      await settled(job_id);
      const all = await (await request(`/${job_id}/logs`)).json();
      expect(all.lines.map((l: { level: string; message: string }) => [l.level, l.message])).toEqual([['info', 'hello'], ['warn', 'careful']]);
      expect(all.next_after).toBe(2);
      const rest = await (await request(`/${job_id}/logs?after=1`)).json();
      expect(rest.lines.map((l: { seq: number }) => l.seq)).toEqual([2]);
      const none = await (await request(`/${job_id}/logs?after=2`)).json();
      expect(none).toEqual({ lines: [], next_after: 2 });
      await expectError(await request(`/${job_id}/logs?after=-1`), 400, 'invalid_after', /^after: /);
      await expectError(await request(`/${job_id}/logs?limit=5000`), 400, 'invalid_limit', /^limit: /);
    });
  });

  describe('POST /:id/cancel', () => {
    it('cancels a busy job (202) and answers 409 once it is terminal', async () => {
      setup();
      ctx.jobs.define('t.forever', { run: (c) => new Promise<void>((resolve) => c.signal.addEventListener('abort', () => resolve())) });
      const { job_id } = await enqueue({ kind: 't.forever' });
      const response = await request(`/${job_id}/cancel`, { method: 'POST' });
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ job_id, state: 'canceled', message: 'Canceled by Ada Admin.' });
      await expectError(await request(`/${job_id}/cancel`, { method: 'POST' }), 409, 'already_finished');
      await expectError(await request(`/${crypto.randomUUID()}/cancel`, { method: 'POST' }), 404, 'not_found');
    });
  });

  describe('GET /kinds', () => {
    it('lists every defined kind with its label and input schema', async () => {
      setup();
      const { kinds } = await (await request('/kinds')).json();
      expect(kinds.map((k: { kind: string }) => k.kind)).toEqual(['t.quick', 't.input']);
      expect(kinds[0]).toEqual({ kind: 't.quick', label: 'Quick', input: null });
      expect(kinds[1].input).toMatchObject({ type: 'object', properties: { peer: { type: 'string' } }, required: ['peer'] });
    });
  });

  describe('GET /events', () => {
    it('answers with the headers that keep proxies from buffering or compressing', async () => {
      setup();
      const response = await request('/events');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      await response.body!.cancel();
    });

    it.each([
      ['?job=nope', 'invalid_id', /^job: /],
      ['?kind=', null, null],
      ['?target=%0A', 'invalid_target', /^target: /],
    ])('validates %s', async (query, code, field) => {
      setup();
      const response = await request(`/events${query}`);
      if (code === null) {
        expect(response.status).toBe(200);
        await response.body!.cancel();
      } else {
        await expectError(response, 400, code, field!);
      }
    });

    it('answers 400 for a Last-Event-ID it could never have sent', async () => {
      setup();
      await expectError(await request('/events', { headers: { 'last-event-id': 'x'.repeat(500) } }), 400, 'invalid_last_event_id', /Last-Event-ID/);
      await expectError(await request('/events?last_event_id=garbage'), 400, 'invalid_last_event_id', /Last-Event-ID/);
    });

    it('answers 429 past the per-caller stream limit, and frees the slot when a stream closes', async () => {
      setup({ limits: { maxStreamsPerCaller: 2 } });
      const a = await request('/events');
      const b = await request('/events');
      await expectError(await request('/events'), 429, 'too_many_streams');
      await a.body!.cancel();
      const c = await request('/events');
      expect(c.status).toBe(200);
      await b.body!.cancel();
      await c.body!.cancel();
      expect(ctx.jobs.streams).toBe(0);
    });
  });

  it('answers unknown routes with a JSON 404, and a caller it does not know with 401 first', async () => {
    setup();
    const id = crypto.randomUUID();
    const unknown: Array<[string, string]> = [
      ['DELETE', `/${id}/explode`],
      ['PUT', `/${id}`],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/kinds'],
      ['OPTIONS', `/${id}`],
      ['GET', '/'],
      ['GET', `/${id}/`],
      ['GET', `//${id}`],
      ['GET', `/${id}/logs/more`],
      ['GET', `/${id}/logs/`],
      ['POST', `/${id}/logs`],
      ['GET', `/${id}/cancel`],
      ['PUT', `/${id}/cancel`],
      ['DELETE', `/${id}/logs`],
      ['GET', '/kinds/more'],
      ['GET', `/${id}/a/b/c`],
      ['GET', '//'],
      ['POST', `//${id}`],
    ];
    for (const [method, path] of unknown) {
      await expectError(await ctx.app.request(`/jobs${path}`, { method, headers: asAdmin }), 404, 'not_found');
      await expectError(await ctx.app.request(`/jobs${path}`, { method }), 401, 'unauthorized');
    }
  });

  it('never sends an internal error message to the client', async () => {
    setup({ canSee: () => { throw new Error('secret connection string'); } });
    const { job_id } = await enqueue();
    const response = await request(`/${job_id}`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('secret');
    expect(ctx.logger.errors.some((e) => String(e.err).includes('secret connection string'))).toBe(true);
  });
});
