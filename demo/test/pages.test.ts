import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';

let dataDir: string;
let demo: ReturnType<typeof createDemoApp>;
const origin = { origin: 'http://localhost' };

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'job-status-pages-'));
  demo = createDemoApp({ dataDir, delayScale: 0.01, failureRate: 0, logger: { info: () => undefined, error: () => undefined } });
});
afterEach(async () => {
  await demo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function login(user: string) {
  const response = await demo.app.request('/login', { method: 'POST', body: new URLSearchParams({ user }), headers: origin });
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('demo pages', () => {
  it('sends a stranger to the login page', async () => {
    const response = await demo.app.request('/admin/sync-control');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login');
    const page = await (await demo.app.request('/login')).text();
    expect(page).toContain('name="user" value="admin"');
  });

  it('shows the viewer an admins-only page with 403', async () => {
    const cookie = await login('viewer');
    for (const path of ['/admin/sync-control', '/admin/dedalus', '/admin/jobs']) {
      const response = await demo.app.request(path, { headers: { cookie } });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('Admins only');
    }
  });

  it('shows three peers, each with Push now and Pull now beside its live tile', async () => {
    const cookie = await login('admin');
    const page = await (await demo.app.request('/admin/sync-control', { headers: { cookie } })).text();
    for (const peer of ['peer-a', 'peer-b', 'peer-c']) {
      expect(page).toContain(`<job-trigger kind="sync.push" target="${peer}" for="push-${peer}">`);
      expect(page).toContain(`<job-status id="pull-${peer}" kind="sync.pull" target="${peer}"`);
    }
    expect(page.match(/>Push now</g)).toHaveLength(3);
    expect(page.match(/>Pull now</g)).toHaveLength(3);
    expect(page).toContain('<job-status-provider base-url="/api/admin/jobs">');
  });

  it('starts a push from a plain form post and redirects back, so it works without JavaScript', async () => {
    const cookie = await login('admin');
    const response = await demo.app.request('/admin/sync-control/push', { method: 'POST', body: new URLSearchParams({ peer: 'peer-b' }), headers: { cookie, ...origin } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/sync-control#peer-b');
    const { jobs } = await demo.jobs.list({ kinds: ['sync.push'] });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ target: 'peer-b', actor: 'admin' });
    const page = await (await demo.app.request('/admin/sync-control', { headers: { cookie } })).text();
    expect(page).toMatch(/Queued|Running|Succeeded/);
  });

  it('refuses a form post from another site', async () => {
    const cookie = await login('admin');
    const response = await demo.app.request('/admin/sync-control/push', {
      method: 'POST',
      body: new URLSearchParams({ peer: 'peer-a' }),
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
    expect((await demo.jobs.list()).jobs).toEqual([]);
  });

  it('saves a Dedalus key and starts its verification', async () => {
    const cookie = await login('admin');
    const response = await demo.app.request('/admin/dedalus/key', { method: 'POST', body: new URLSearchParams({ api_key: 'bad-key' }), headers: { cookie, ...origin, accept: 'application/json' } });
    expect(response.status).toBe(202);
    const { job_id } = (await response.json()) as { job_id: string };
    expect(demo.settings.dedalusKey).toBe('bad-key');
    expect((await demo.jobs.get(job_id))!.kind).toBe('dedalus.verify');
    const empty = await demo.app.request('/admin/dedalus/key', { method: 'POST', body: new URLSearchParams({ api_key: '' }), headers: { cookie, ...origin } });
    expect(empty.status).toBe(400);
  });

  it('answers with security headers and a strict content security policy', async () => {
    const response = await demo.app.request('/login');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('renders job text as text in the server-rendered fallback', async () => {
    const cookie = await login('admin');
    demo.jobs.define('t.hostile', { label: '<img src=x onerror=alert(1)>', run: () => ({ message: '<script>alert(2)</script>' }) });
    const job = await demo.jobs.enqueue('t.hostile');
    const page = await (await demo.app.request(`/admin/jobs/${job.job_id}`, { headers: { cookie } })).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
