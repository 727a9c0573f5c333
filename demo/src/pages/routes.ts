import { Hono } from 'hono';
import type { Context } from 'hono';
import { JOB_STATES, LIST_SORTS } from '@job-status/protocol';
import type { JobSnapshot, JobState, ListSort } from '@job-status/protocol';
import type { JobStatus } from '@job-status/hono';
import type { DemoUser, sessions } from '../auth.js';
import { PEERS, peerNamed } from '../peers.js';
import type { DemoSettings } from '../settings.js';
import { adminsOnlyPage, dedalusPage, jobDetailPage, jobsPage, loginPage, syncPage } from './pages.js';

interface PageDeps {
  jobs: JobStatus;
  auth: ReturnType<typeof sessions>;
  settings: DemoSettings;
}

type Env = { Variables: { user: DemoUser } };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The demo's pages. Every action is a plain form POST that redirects back (it works with
 * JavaScript off); with JavaScript, the elements take the same forms over and show the
 * job live instead.
 */
export function pageRoutes({ jobs, auth, settings }: PageDeps) {
  const app = new Hono<Env>();
  const newest = async (kind: string, target?: string): Promise<JobSnapshot | null> =>
    (await jobs.list({ kinds: [kind], ...(target ? { targets: [target] } : {}), limit: 1 })).jobs[0] ?? null;
  /**
   * A form POST from a script asks for JSON; from a plain form, for the page again, or
   * for the new job's page ("Run again" sends `then=detail`).
   */
  const done = async (c: Context, job: JobSnapshot, back: string) => {
    if (c.req.header('accept')?.includes('application/json')) return c.json({ job_id: job.job_id, initial_status: job }, 202);
    const form = await c.req.parseBody();
    return c.redirect(form.then === 'detail' ? `/admin/jobs/${job.job_id}` : back, 303);
  };
  const wantsJson = (c: Context) => c.req.header('accept')?.includes('application/json') ?? false;

  app.get('/', async (c) => {
    const user = await auth.user(c);
    return c.redirect(user ? '/admin/sync-control' : '/login', 302);
  });

  app.get('/login', (c) => c.html(loginPage()));

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const user = form.user;
    if (user !== 'admin' && user !== 'viewer') {
      if (c.req.header('accept')?.includes('application/json')) {
        return c.json({ error: { code: 'invalid_user', message: 'user: expected "admin" or "viewer"' } }, 400);
      }
      return c.html(loginPage('Choose admin or viewer.'), 400);
    }
    await auth.signIn(c, user);
    return c.redirect('/admin/sync-control', 303);
  });

  app.post('/logout', (c) => {
    auth.signOut(c);
    return c.redirect('/login', 303);
  });

  // Everything under /admin: signed in, and an admin.
  app.use('/admin/*', async (c, next) => {
    const user = await auth.user(c);
    if (!user) return c.redirect('/login', 302);
    if (!user.admin) return c.html(adminsOnlyPage(user), 403);
    c.set('user', user);
    await next();
  });

  app.get('/admin/sync-control', async (c) => {
    const peers = await Promise.all(
      PEERS.map(async (peer) => ({ peer, lastPush: await newest('sync.push', peer.name), lastPull: await newest('sync.pull', peer.name) })),
    );
    return c.html(syncPage(c.get('user'), peers));
  });

  for (const [action, kind] of [['push', 'sync.push'], ['pull', 'sync.pull']] as const) {
    app.post(`/admin/sync-control/${action}`, async (c) => {
      const form = await c.req.parseBody();
      const peer = peerNamed(typeof form.peer === 'string' ? form.peer : null);
      if (!peer) return c.json({ error: { code: 'invalid_peer', message: `peer: expected one of ${PEERS.map((p) => p.name).join(', ')}` } }, 400);
      const input = kind === 'sync.pull' ? { allow_unsigned: form.allow_unsigned === 'on' } : {};
      const job = await jobs.enqueue(kind, input, { target: peer.name, actor: c.get('user').name });
      return done(c, job, `/admin/sync-control#${peer.name}`);
    });
  }

  const dedalus = async (c: Context<Env>, extra: { saved?: string | null; keyError?: string | null }) =>
    dedalusPage(c.get('user'), {
      hasKey: settings.dedalusKey !== null,
      verifiedAt: settings.verifiedAt,
      lastVerify: await newest('dedalus.verify'),
      ...extra,
    });

  app.get('/admin/dedalus', async (c) => {
    const saved = c.req.query('saved');
    return c.html(await dedalus(c, { saved: saved && UUID.test(saved) ? saved : null }));
  });

  app.post('/admin/dedalus/key', async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.api_key === 'string' ? form.api_key.trim() : '';
    if (!key || key.length > 200) {
      const message = key ? 'The key is too long: Dedalus keys have at most 200 characters.' : 'Enter the API key Dedalus gave you; it cannot be blank.';
      if (wantsJson(c)) return c.json({ error: { code: 'invalid_api_key', message: `api_key: ${message}` } }, 400);
      return c.html(await dedalus(c, { keyError: message }), 400);
    }
    settings.dedalusKey = key;
    // A new key is not verified until its own check succeeds.
    settings.verifiedAt = null;
    settings.save();
    const job = await jobs.enqueue('dedalus.verify', null, { actor: c.get('user').name });
    return done(c, job, `/admin/dedalus?saved=${job.job_id}`);
  });

  app.post('/admin/dedalus/verify', async (c) => {
    const job = await jobs.enqueue('dedalus.verify', null, { actor: c.get('user').name });
    return done(c, job, '/admin/dedalus');
  });

  app.get('/admin/jobs', async (c) => {
    // The dashboard's filters live in the URL; anything unknown is dropped, never guessed at.
    const pick = (name: string, allowed?: readonly string[]) => {
      const value = c.req.query(name)?.trim();
      return value && value.length <= 100 && (!allowed || allowed.includes(value)) ? value : undefined;
    };
    const filters = { state: pick('state', JOB_STATES), kind: pick('kind'), target: pick('target'), sort: pick('sort', LIST_SORTS) };
    const query = {
      limit: 20,
      ...(filters.state ? { states: [filters.state as JobState] } : {}),
      ...(filters.kind ? { kinds: [filters.kind] } : {}),
      ...(filters.target ? { targets: [filters.target] } : {}),
      ...(filters.sort ? { sort: filters.sort as ListSort } : {}),
    };
    return c.html(jobsPage(c.get('user'), (await jobs.list(query)).jobs, filters));
  });

  app.get('/admin/jobs/:id', async (c) => {
    const id = c.req.param('id');
    if (!UUID.test(id)) return c.html(jobDetailPage(c.get('user'), null, ''), 404);
    const job = await jobs.get(id);
    return c.html(jobDetailPage(c.get('user'), job, id), job ? 200 : 404);
  });

  return app;
}
