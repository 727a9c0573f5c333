import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createJobStatus } from '@job-status/hono';
import type { Principal } from '@job-status/hono';
import type { JobSnapshot } from '@job-status/protocol';
import { gate, headerAuth, listen, quietLogger } from './support.js';

/**
 * What a poll answer (`GET /:id`) keeps however it is built: the headers an app's own
 * middleware set, its ETag semantics, and authorization on every request. Served by
 * @hono/node-server over real HTTP, because Hono and the adapter build answers
 * differently there than in `app.request()`.
 */
let close: Array<() => Promise<void>> = [];
/** Ends the jobs a test holds running, so that closing does not wait for them. */
let held = gate();
afterEach(async () => {
  held.open();
  for (const step of close.reverse()) await step();
  close = [];
  held = gate();
});

async function serveWithAppMiddleware(canSee?: (principal: Principal, job: JobSnapshot) => boolean, appMiddleware = true) {
  const calls = { authorize: 0, canSee: 0 };
  const jobs = createJobStatus({
    authorize: (c) => {
      calls.authorize++;
      return headerAuth(c);
    },
    canSee: (principal, job) => {
      calls.canSee++;
      return canSee ? canSee(principal, job) : true;
    },
    logger: quietLogger(),
    heartbeatMs: 60_000,
  });
  const app = new Hono();
  // An app's own middleware, before the job routes: one header set before `next()`, one after.
  if (appMiddleware) {
    app.use('*', async (c, next) => {
      c.header('X-App-Before', 'set before next');
      await next();
      c.header('X-App-After', 'set after next');
    });
  }
  app.route('/jobs', jobs.routes());
  const server = await listen(app);
  close.push(() => jobs.close(), server.close);
  return { jobs, calls, url: `${server.url}/jobs` };
}

const admin = { 'x-user': 'admin' };

/** A 200 poll answer: JSON of the length sent, with the poll headers. */
function expectPollAnswer(ok: Response, text: string) {
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
  expect(ok.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
  expect(ok.headers.get('cache-control')).toBe('private, no-cache');
  expect(ok.headers.get('job-status-min-interval')).toBeTruthy();
  expect(ok.headers.get('job-status-max-ids')).toBeTruthy();
}

describe('GET /:id answers', () => {
  it("keep the headers an app's middleware set, on 200 and on 304", async () => {
    const { jobs, url } = await serveWithAppMiddleware();
    jobs.define('t.hold', { run: () => held.promise });
    const { job_id } = await jobs.enqueue('t.hold', null);
    const ok = await fetch(`${url}/${job_id}`, { headers: admin });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    expect(ok.headers.get('x-app-before')).toBe('set before next');
    expect(ok.headers.get('x-app-after')).toBe('set after next');
    expect(ok.headers.get('cache-control')).toBe('private, no-cache');
    expect(ok.headers.get('job-status-min-interval')).toBeTruthy();
    expect(ok.headers.get('job-status-max-ids')).toBeTruthy();
    expect(((await ok.json()) as JobSnapshot).job_id).toBe(job_id);
    const etag = ok.headers.get('etag')!;
    expect(etag).toMatch(/^"/);

    const same = await fetch(`${url}/${job_id}`, { headers: { ...admin, 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('x-app-before')).toBe('set before next');
    expect(same.headers.get('x-app-after')).toBe('set after next');
    expect(same.headers.get('cache-control')).toBe('private, no-cache');
    expect(same.headers.get('job-status-min-interval')).toBe(ok.headers.get('job-status-min-interval'));
    expect(same.headers.get('job-status-max-ids')).toBe(ok.headers.get('job-status-max-ids'));
    expect(await same.text()).toBe('');
  });

  it('carry the poll headers, a JSON type and a length when nothing of the app runs before them', async () => {
    const { jobs, url } = await serveWithAppMiddleware(undefined, false);
    jobs.define('t.hold', { run: () => held.promise });
    const { job_id } = await jobs.enqueue('t.hold', null);
    const ok = await fetch(`${url}/${job_id}`, { headers: admin });
    const text = await ok.text();
    expectPollAnswer(ok, text);
    expect((JSON.parse(text) as JobSnapshot).job_id).toBe(job_id);
    const etag = ok.headers.get('etag')!;
    const same = await fetch(`${url}/${job_id}`, { headers: { ...admin, 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('cache-control')).toBe('private, no-cache');
    expect(same.headers.get('job-status-max-ids')).toBe(ok.headers.get('job-status-max-ids'));
    expect(await same.text()).toBe('');
    const head = await fetch(`${url}/${job_id}`, { method: 'HEAD', headers: admin });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
  });

  it('answer 200 with a new ETag once the job changed, and 304 for a weak or listed match', async () => {
    const { jobs, url } = await serveWithAppMiddleware();
    const step = gate();
    jobs.define('t.steps', {
      run: async (c) => {
        await step.promise;
        c.progress({ percent: 50 });
        await held.promise;
      },
    });
    const { job_id } = await jobs.enqueue('t.steps', null);
    let first: Response;
    while (((await (first = await fetch(`${url}/${job_id}`, { headers: admin })).clone().json()) as JobSnapshot).state !== 'running') {
      await new Promise((r) => setTimeout(r, 5));
    }
    const etag = first.headers.get('etag')!;
    for (const sent of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      expect((await fetch(`${url}/${job_id}`, { headers: { ...admin, 'if-none-match': sent } })).status).toBe(304);
    }
    step.open();
    let changed: Response;
    while ((changed = await fetch(`${url}/${job_id}`, { headers: { ...admin, 'if-none-match': etag } })).status === 304) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as JobSnapshot).progress?.percent).toBe(50);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.headers.get('x-app-before')).toBe('set before next');
  });

  it('run authorize and canSee on every request, 304s included, so a caller who lost access gets 401 or 404 at once', async () => {
    let hidden = false;
    const { jobs, calls, url } = await serveWithAppMiddleware(() => !hidden);
    jobs.define('t.hold', { run: () => held.promise });
    const { job_id } = await jobs.enqueue('t.hold', null);
    const etag = (await fetch(`${url}/${job_id}`, { headers: admin })).headers.get('etag')!;
    const before = { ...calls };
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${url}/${job_id}`, { headers: { ...admin, 'if-none-match': etag } })).status).toBe(304);
    }
    expect(calls.authorize - before.authorize).toBe(3);
    expect(calls.canSee - before.canSee).toBe(3);
    expect((await fetch(`${url}/${job_id}`, { headers: { 'if-none-match': etag } })).status).toBe(401);
    hidden = true;
    const refused = await fetch(`${url}/${job_id}`, { headers: { ...admin, 'if-none-match': etag } });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('etag')).toBeNull();
  });
});

describe('GET /?ids= answers', () => {
  it.each([
    ['behind an app middleware', true],
    ['with nothing of the app before them', false],
  ])('carry the poll headers, a JSON type and a weak ETag, on 200 and on 304 (%s)', async (_, appMiddleware) => {
    const { jobs, url } = await serveWithAppMiddleware(undefined, appMiddleware);
    jobs.define('t.hold', { run: () => held.promise });
    jobs.define('t.done', { run: () => undefined });
    const running = await jobs.enqueue('t.hold', null);
    const done = await jobs.enqueue('t.done', null);
    while ((await jobs.get(done.job_id))?.state !== 'success') await new Promise((r) => setTimeout(r, 5));
    const poll = `${url}?ids=${running.job_id},${done.job_id}`;
    const ok = await fetch(poll, { headers: admin });
    const text = await ok.text();
    expectPollAnswer(ok, text);
    expect(ok.headers.get('x-app-before')).toBe(appMiddleware ? 'set before next' : null);
    const body = JSON.parse(text) as { jobs: JobSnapshot[]; next_cursor: null };
    expect(body.jobs.map((job) => [job.job_id, job.state])).toEqual([[running.job_id, 'running'], [done.job_id, 'success']]);
    expect(body.next_cursor).toBeNull();
    const etag = ok.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const same = await fetch(poll, { headers: { ...admin, 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('cache-control')).toBe('private, no-cache');
    expect(same.headers.get('job-status-max-ids')).toBe(ok.headers.get('job-status-max-ids'));
    expect(same.headers.get('x-app-after')).toBe(appMiddleware ? 'set after next' : null);
    expect(await same.text()).toBe('');
  });

  it('answer every change of a job with its new state, never a kept older one', async () => {
    const { jobs, url } = await serveWithAppMiddleware(undefined, false);
    const steps = [gate(), gate(), gate()];
    const reached: number[] = [];
    jobs.define('t.steps', {
      run: async (c) => {
        for (const [index, step] of steps.entries()) {
          c.progress({ current: index, total: 3 });
          reached.push(index);
          await step.promise;
        }
      },
    });
    const { job_id } = await jobs.enqueue('t.steps', null);
    let etag = '';
    for (let index = 0; index < steps.length; index++) {
      while (reached.length <= index || (await jobs.get(job_id))?.progress?.current !== index) await new Promise((r) => setTimeout(r, 5));
      // Twice each: the second answer of a state comes from what the first one made.
      for (let read = 0; read < 2; read++) {
        const ok = await fetch(`${url}?ids=${job_id}`, { headers: admin });
        const body = (await ok.json()) as { jobs: JobSnapshot[] };
        expect(body.jobs[0]!.progress?.current).toBe(index);
        expect(body.jobs[0]).toEqual(await jobs.get(job_id));
        if (read === 0) expect(ok.headers.get('etag')).not.toBe(etag);
        etag = ok.headers.get('etag')!;
      }
      steps[index]!.open();
    }
    while ((await jobs.get(job_id))?.state !== 'success') await new Promise((r) => setTimeout(r, 5));
    const done = (await (await fetch(`${url}?ids=${job_id}`, { headers: admin })).json()) as { jobs: JobSnapshot[] };
    expect(done.jobs[0]).toEqual(await jobs.get(job_id));
  });
});
