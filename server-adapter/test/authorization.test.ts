import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createJobStatus } from '@job-status/hono';
import type { Principal } from '@job-status/hono';
import type { JobSnapshot } from '@job-status/protocol';
import { gate, listen, openStream, quietLogger } from './support.js';

/** Tenants: each admin sees only the jobs its own tenant started. */
interface TenantPrincipal extends Principal {
  tenant: string;
}
const CALLERS: Record<string, TenantPrincipal | false> = {
  'admin-a': { id: 'admin-a', name: 'admin-a', tenant: 'a' },
  'admin-b': { id: 'admin-b', name: 'admin-b', tenant: 'b' },
  viewer: false,
};
const tenantOf = (actor: string | null) => (actor ? (CALLERS[actor] as TenantPrincipal | undefined)?.tenant : undefined);

const release = gate();
const jobs = createJobStatus<TenantPrincipal>({
  authorize: (c) => {
    const who = c.req.header('x-user') ?? c.req.query('user');
    return who ? (CALLERS[who] ?? null) : null;
  },
  canSee: (principal, job) => tenantOf(job.actor) === principal.tenant,
  logger: quietLogger(),
});
jobs.define('t.wait', { run: async (ctx) => { ctx.log('info', 'working'); await release.promise; } });
const app = new Hono().route('/jobs', jobs.routes());
let server: Awaited<ReturnType<typeof listen>>;
let jobA: JobSnapshot;

beforeAll(async () => {
  server = await listen(app);
  jobA = await jobs.enqueue('t.wait', null, { actor: 'admin-a' });
});
afterAll(async () => {
  release.open();
  await jobs.close();
  await server.close();
});

type Caller = 'nobody' | 'viewer' | 'admin-a' | 'admin-b';
const headers = (caller: Caller): Record<string, string> => (caller === 'nobody' ? {} : { 'x-user': caller });

/** Every route, and what each caller gets. `own` is tenant a's admin; `other` is tenant b's. */
const ROUTES: Array<{ name: string; method: string; path: () => string; body?: unknown; own: number; other: number }> = [
  { name: 'POST /', method: 'POST', path: () => '', body: { kind: 't.wait' }, own: 202, other: 202 },
  { name: 'GET /', method: 'GET', path: () => '', own: 200, other: 200 },
  { name: 'GET /?ids=', method: 'GET', path: () => `?ids=${jobA.job_id}`, own: 200, other: 200 },
  { name: 'GET /kinds', method: 'GET', path: () => '/kinds', own: 200, other: 200 },
  { name: 'GET /events', method: 'GET', path: () => `/events?job=${jobA.job_id}`, own: 200, other: 200 },
  { name: 'GET /:id', method: 'GET', path: () => `/${jobA.job_id}`, own: 200, other: 404 },
  { name: 'GET /:id/logs', method: 'GET', path: () => `/${jobA.job_id}/logs`, own: 200, other: 404 },
  // Last, so the job stays busy for the routes above.
  { name: 'POST /:id/cancel', method: 'POST', path: () => `/${jobA.job_id}/cancel`, own: 202, other: 404 },
];

describe('authorization matrix', () => {
  const counts = { tried: 0 };
  afterAll(() => console.log(`authorization matrix: ${counts.tried} route × caller pairs tried, all as expected`));

  for (const route of ROUTES) {
    it(`${route.name}: nobody 401, viewer 403, another tenant ${route.other}, own tenant ${route.own}`, async () => {
      const expected: Record<Caller, number> = { nobody: 401, viewer: 403, 'admin-b': route.other, 'admin-a': route.own };
      // The owner goes last: a cancel by the owner ends the job.
      for (const caller of ['nobody', 'viewer', 'admin-b', 'admin-a'] as Caller[]) {
        const init: RequestInit = { method: route.method, headers: { ...headers(caller), ...(route.body ? { 'content-type': 'application/json' } : {}) } };
        if (route.body) init.body = JSON.stringify(route.body);
        const response = await fetch(`${server.url}/jobs${route.path()}`, init);
        counts.tried++;
        expect.soft(response.status, `${caller} on ${route.name}`).toBe(expected[caller]);
        const text = route.name === 'GET /events' && response.ok ? (await response.body?.cancel(), '') : await response.text();
        if (response.status >= 400) expect(JSON.parse(text).error.code).toBeTruthy();
        if (caller === 'admin-b' && response.ok) expect(text).not.toContain(jobA.job_id);
      }
    });
  }

  it('a cancel refused to another tenant leaves the job running; the owner’s cancel stops it', async () => {
    const job = await jobs.enqueue('t.wait', null, { actor: 'admin-a' });
    const cancel = (caller: Caller) =>
      fetch(`${server.url}/jobs/${job.job_id}/cancel`, { method: 'POST', headers: { ...headers(caller), origin: server.url } });
    for (const caller of ['nobody', 'viewer', 'admin-b'] as Caller[]) {
      expect((await cancel(caller)).status).toBeGreaterThanOrEqual(400);
      expect((await jobs.get(job.job_id))?.state).toMatch(/^(queued|running)$/);
    }
    const answer = await cancel('admin-a');
    expect(answer.status).toBe(202);
    let state: string | undefined;
    for (let i = 0; i < 200 && state !== 'canceled'; i++) {
      state = (await jobs.get(job.job_id))?.state;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(state).toBe('canceled');
  });

  it('never carries another tenant’s job on a stream, fresh or resumed', async () => {
    const b = await openStream(`${server.url}/jobs/events`, headers('admin-b'));
    await b.until(() => b.events.some((e) => e.event === 'ready'));
    const epoch = b.events.find((e) => e.event === 'ready')!.id!.split('-')[0];
    const started = await jobs.enqueue('t.wait', null, { actor: 'admin-a' });
    const mine = await jobs.enqueue('t.wait', null, { actor: 'admin-b' });
    await b.until(() => b.updates().some((u) => u.job_id === mine.job_id));
    const resumed = await openStream(`${server.url}/jobs/events?job=${started.job_id}&job=${mine.job_id}`, { ...headers('admin-b'), 'last-event-id': `${epoch}-0` });
    await resumed.until(() => resumed.events.some((e) => e.event === 'ready'));
    for (const stream of [b, resumed]) {
      expect(stream.updates().every((u) => tenantOf(u.actor) === 'b')).toBe(true);
      await stream.close();
    }
  });
});
