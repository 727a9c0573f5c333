import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { createDemoApp } from '../src/app.js';

let dataDir: string;
let demo: ReturnType<typeof createDemoApp>;
const silent = { info: () => undefined, error: () => undefined };

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'job-status-demo-'));
  demo = createDemoApp({ dataDir, delayScale: 0.01, failureRate: 0, logger: silent });
});
afterEach(async () => {
  await demo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function login(user: string) {
  const response = await demo.app.request('/login', { method: 'POST', body: new URLSearchParams({ user }), headers: { origin: 'http://localhost' } });
  expect(response.status).toBe(303);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

async function enqueue(cookie: string, body: unknown) {
  return demo.app.request('/api/admin/jobs', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function settle(cookie: string, id: string): Promise<JobSnapshot> {
  for (let i = 0; i < 400; i++) {
    const job = (await (await demo.app.request(`/api/admin/jobs/${id}`, { headers: { cookie } })).json()) as JobSnapshot;
    if (!['queued', 'running'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('job did not settle');
}

describe('demo server', () => {
  it('lets an admin push to a peer and read the outcome and logs', async () => {
    const cookie = await login('admin');
    const response = await enqueue(cookie, { kind: 'sync.push', target: 'peer-a' });
    expect(response.status).toBe(202);
    const { job_id } = (await response.json()) as { job_id: string };
    const job = await settle(cookie, job_id);
    expect(job).toMatchObject({ state: 'success', label: 'Push to peer-a', actor: 'admin', progress: { current: 120, total: 120, unit: 'files' } });
    const logs = (await (await demo.app.request(`/api/admin/jobs/${job_id}/logs`, { headers: { cookie } })).json()) as { lines: Array<{ seq: number; level: string; message: string }> };
    // The log tells the run's story in order: the connection first, the last batch last.
    expect(logs.lines[0]).toMatchObject({ seq: 1, level: 'info', message: expect.stringMatching(/^Connecting to peer-a/) });
    expect(logs.lines.at(-1)!.message).toBe('Uploading 120 of 120 files');
    expect(logs.lines.map((line) => line.seq)).toEqual(logs.lines.map((_, i) => i + 1));
  });

  it('finishes an unsigned pull as warning awaiting approval, and applies it when allowed', async () => {
    const cookie = await login('admin');
    const warned = await enqueue(cookie, { kind: 'sync.pull', target: 'peer-c', input: { allow_unsigned: false } });
    const job = await settle(cookie, ((await warned.json()) as { job_id: string }).job_id);
    expect(job.state).toBe('warning');
    expect(job.message).toMatch(/awaiting approval/);
    const allowed = await enqueue(cookie, { kind: 'sync.pull', target: 'peer-c', input: { allow_unsigned: true } });
    expect((await settle(cookie, ((await allowed.json()) as { job_id: string }).job_id)).state).toBe('success');
  });

  it('fails a Dedalus verification with a bad key, with a hint', async () => {
    const cookie = await login('admin');
    demo.settings.dedalusKey = 'bad-key';
    const response = await enqueue(cookie, { kind: 'dedalus.verify' });
    const job = await settle(cookie, ((await response.json()) as { job_id: string }).job_id);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'auth_rejected' } });
    expect(job.error!.hint).toMatch(/fresh key/);
    demo.settings.dedalusKey = 'ddl_live_0123456789';
    const ok = await settle(cookie, ((await (await enqueue(cookie, { kind: 'dedalus.verify' })).json()) as { job_id: string }).job_id);
    expect(ok.state).toBe('success');
    expect(demo.settings.verifiedAt).not.toBeNull();
  });

  it('answers a viewer 403 and a stranger 401', async () => {
    const viewer = await login('viewer');
    expect((await demo.app.request('/api/admin/jobs', { headers: { cookie: viewer } })).status).toBe(403);
    expect((await demo.app.request('/api/admin/jobs')).status).toBe(401);
    expect((await enqueue(viewer, { kind: 'sync.push', target: 'peer-a' })).status).toBe(403);
  });

  it('refuses an unknown login', async () => {
    const response = await demo.app.request('/login', { method: 'POST', body: new URLSearchParams({ user: 'root' }), headers: { origin: 'http://localhost' } });
    expect(response.status).toBe(400);
  });
});
