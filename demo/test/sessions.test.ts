import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import type { DemoOptions } from '../src/app.js';
import { SessionStore } from '../src/session-store.js';

/**
 * Issue 13, finding 9: every admin shared one session value (the signed user name), which
 * sign-out did not end and which never expired on the server. Each sign-in now has its own.
 */
const HOUR = 60 * 60 * 1000;
const origin = { origin: 'http://localhost' };
const silent = { info: () => undefined, error: () => undefined };

let dataDir: string;
let clock: number;
const opened: Array<ReturnType<typeof createDemoApp>> = [];
const open = (options: Partial<DemoOptions> = {}) => {
  const demo = createDemoApp({ dataDir, delayScale: 0.01, failureRate: 0, logger: silent, now: () => clock, ...options });
  opened.push(demo);
  return demo;
};

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'job-status-sessions-'));
  clock = Date.UTC(2026, 0, 5, 9);
});
afterEach(async () => {
  for (const demo of opened.splice(0)) await demo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function login(demo: ReturnType<typeof open>, user: string, cookie?: string) {
  const response = await demo.app.request('/login', { method: 'POST', body: new URLSearchParams({ user }), headers: { ...origin, ...(cookie ? { cookie } : {}) } });
  expect(response.status).toBe(303);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}
const logout = (demo: ReturnType<typeof open>, cookie: string) => demo.app.request('/logout', { method: 'POST', headers: { ...origin, cookie } });
const api = async (demo: ReturnType<typeof open>, cookie: string) => (await demo.app.request('/api/admin/jobs?limit=1', { headers: { cookie } })).status;
const page = async (demo: ReturnType<typeof open>, cookie: string) => (await demo.app.request('/admin/jobs', { headers: { cookie } })).status;

describe('demo sessions', () => {
  it('gives each sign-in a session value of its own', async () => {
    const demo = open();
    const first = await login(demo, 'admin');
    const second = await login(demo, 'admin');
    expect(first).not.toBe(second);
    expect(await api(demo, first)).toBe(200);
    expect(await api(demo, second)).toBe(200);
  });

  it('ends the session on the server at sign-out, so a copy of the cookie signs nobody in', async () => {
    const demo = open();
    const mine = await login(demo, 'admin');
    const colleague = await login(demo, 'admin');
    const response = await logout(demo, mine);
    expect(response.status).toBe(303);
    expect(response.headers.get('set-cookie')).toMatch(/demo_session=;/);
    expect(await api(demo, mine)).toBe(401);
    expect(await page(demo, mine)).toBe(302);
    // Another admin's sign-in is not touched.
    expect(await api(demo, colleague)).toBe(200);
  });

  it('expires a session after its lifetime (8 hours by default), whatever the cookie says', async () => {
    const demo = open();
    const cookie = await login(demo, 'admin');
    clock += 8 * HOUR - 1000;
    expect(await api(demo, cookie)).toBe(200);
    clock += 2000;
    expect(await api(demo, cookie)).toBe(401);
    expect(await page(demo, cookie)).toBe(302);
  });

  it('takes its lifetime from the options, and tells the browser when it ends', async () => {
    const demo = open({ sessionLifetimeMs: HOUR });
    const response = await demo.app.request('/login', { method: 'POST', body: new URLSearchParams({ user: 'viewer' }), headers: origin });
    expect(response.headers.get('set-cookie')).toContain(`Expires=${new Date(clock + HOUR).toUTCString()}`);
    expect(response.headers.get('set-cookie')).toMatch(/HttpOnly/);
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    clock += HOUR;
    expect(await page(demo, cookie)).toBe(302);
  });

  it('ends the session a browser had when it signs in again', async () => {
    const demo = open();
    const before = await login(demo, 'viewer');
    const after = await login(demo, 'admin', before);
    expect(await page(demo, before)).toBe(302);
    expect(await page(demo, after)).toBe(200);
  });

  it('keeps sessions through a restart, and ignores made-up or signed-looking values', async () => {
    const first = open();
    const cookie = await login(first, 'admin');
    await first.close();
    opened.splice(opened.indexOf(first), 1);
    const second = open();
    expect(await api(second, cookie)).toBe(200);
    for (const forged of ['demo_session=admin', 'demo_session=admin.c2lnbmF0dXJl', `demo_session=${'A'.repeat(43)}`, 'demo_session=']) {
      expect(await api(second, forged)).toBe(401);
    }
  });

  it('keeps at most maxSessions: a flood of sign-ins ends the oldest, not the table', () => {
    const store = new SessionStore({ path: join(dataDir, 'bounded.db'), maxSessions: 3, now: () => clock });
    const tokens = Array.from({ length: 5 }, () => {
      clock += 1;
      return store.create('admin').token;
    });
    expect(tokens.map((token) => store.find(token))).toEqual([null, null, 'admin', 'admin', 'admin']);
    store.close();
  });
});
