import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { createJobStatus } from '@job-status/hono';
import type { Principal } from '@job-status/hono';
import { quietLogger } from './support.js';

/** An app with its own typed variables, set by its own session middleware. */
interface AppUser extends Principal {
  role: 'admin' | 'viewer';
}
interface AppEnv {
  Variables: { user: AppUser | undefined };
}

const session = createMiddleware<AppEnv>(async (c, next) => {
  const name = c.req.header('x-user');
  c.set('user', name ? { id: name, name, role: name === 'root' ? 'admin' : 'viewer' } : undefined);
  await next();
});

// `npm run typecheck` checks this file: `E` must reach `authorize` through the options.
const jobs = createJobStatus<AppUser, AppEnv>({
  authorize: (c) => {
    const user = c.get('user');
    expectTypeOf(user).toEqualTypeOf<AppUser | undefined>();
    if (!user) return null;
    return user.role === 'admin' ? user : false;
  },
  logger: quietLogger(),
});
jobs.define('t.noop', { run: async () => ({ message: 'done' }) });
const app = new Hono<AppEnv>().use(session).route('/jobs', jobs.routes());

afterAll(() => jobs.close());

describe("the app's Hono Env", () => {
  it("reaches authorize with the app's variables, typed and set by the app's middleware", async () => {
    expect((await app.request('/jobs')).status).toBe(401);
    expect((await app.request('/jobs', { headers: { 'x-user': 'ann' } })).status).toBe(403);
    const ok = await app.request('/jobs', { headers: { 'x-user': 'root' } });
    expect(ok.status).toBe(200);
  });
});
