import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createJobStatus } from '@job-status/hono';
import type { Principal } from '@job-status/hono';
import { Hono } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';

/** The app's own user and its typed Hono environment. */
interface AppUser extends Principal {
  name: string;
  role: 'admin' | 'viewer';
}
interface AppEnv {
  Variables: { user: AppUser | null };
}

const SECRET = process.env.COOKIE_SECRET ?? 'example only';

/** The app's sign-in: a signed cookie names the user. */
const session = createMiddleware<AppEnv>(async (c, next) => {
  const name = await getSignedCookie(c, SECRET, 'user');
  c.set('user', name ? { id: name, name, role: name === 'admin' ? 'admin' : 'viewer' } : null);
  await next();
});

// With the app's Env as the second type argument, `c.get('user')` is `AppUser | null` here.
const jobs = createJobStatus<AppUser, AppEnv>({
  authorize: (c) => {
    const user = c.get('user');
    if (!user) return null; // 401
    return user.role === 'admin' ? user : false; // 403
  },
});

jobs.define('cache.purge', {
  label: (_input, target) => `Purge the ${target} cache`,
  run: async (ctx) => {
    ctx.phase('Purging');
    for (let region = 1; region <= 4; region++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ctx.progress({ current: region, total: 4, unit: 'regions' });
    }
    return { message: 'Purged 4 regions' };
  },
});

const page = readFileSync(new URL('../public/index.html', import.meta.url), 'utf8');
// The single-file build of the elements (Lit included), served as the app's own asset.
const elements = readFileSync(fileURLToPath(import.meta.resolve('@job-status/elements/job-status-elements.js')), 'utf8');

const app = new Hono<AppEnv>()
  .use(session)
  .route('/api/jobs', jobs.routes())
  .post('/login', async (c) => {
    const form = await c.req.parseBody();
    await setSignedCookie(c, 'user', String(form.user ?? ''), SECRET, { httpOnly: true, sameSite: 'Lax', path: '/' });
    return c.redirect('/', 303);
  })
  .post('/logout', (c) => {
    deleteCookie(c, 'user', { path: '/' });
    return c.redirect('/', 303);
  })
  .get('/assets/job-status-elements.js', (c) => c.body(elements, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
  .get('/', (c) => c.html(page));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`Hono example on http://localhost:${info.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void jobs.close();
});
