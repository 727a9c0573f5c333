/**
 * Reliability: two processes on one SQLite file (issue 13, finding 7). Before, nothing
 * refused the second: it finished all of the first one's running jobs as `interrupted`,
 * and the first then answered 500 to every enqueue. Now the second is refused while the
 * first holds the file: it logs why, answers 503 with `Retry-After`, and takes over only
 * once the first has stopped; the first never notices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '@job-status/hono';
import { sqliteStore } from '@job-status/hono/sqlite';
import { spawnFixture } from './fixtures/processes.js';
import { createTestJobs, gate, json, until } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'job-status-one-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let open: JobStatus[] = [];
afterEach(async () => {
  await Promise.all(open.map((jobs) => jobs.close()));
  open = [];
});

function service(path: string) {
  const made = createTestJobs({ store: sqliteStore({ path }), storeRetry: { initialMs: 20, maxMs: 100 }, closeTimeoutMs: 100 });
  open.push(made.jobs);
  return made;
}

describe('a second service on the same SQLite file', () => {
  it('is refused with a clear message and 503 while the first runs, which goes on untouched; it takes over once the first stops', async () => {
    const path = join(dir, 'shared.db');
    const first = service(path);
    const release = gate();
    first.jobs.define('t.long', { run: () => release.promise.then(() => ({ message: 'done' })) });
    const running = await first.jobs.enqueue('t.long');
    await until(async () => (await first.jobs.get(running.job_id))?.state === 'running');

    const second = service(path);
    second.jobs.define('t.long', { run: () => ({ message: 'done' }) });
    const refused = await second.app.request('/jobs', json({ kind: 't.long' }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    await until(() => second.logger.errors.some((e) => e.event === 'store.open_failed'));
    expect(second.logger.errors[0]!.err).toMatch(/another process has the SQLite file .*shared\.db open, and one process per SQLite file is allowed/);

    // The first never notices: its job keeps running, its enqueues keep working.
    const answers = await Promise.all(Array.from({ length: 5 }, () => first.app.request('/jobs', json({ kind: 't.long' }))));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect((await first.jobs.get(running.job_id))!.state).toBe('running');
    release.open();
    await until(async () => (await first.jobs.get(running.job_id))?.state === 'success');
    await first.jobs.close();

    await second.jobs.ready;
    expect((await second.jobs.get(running.job_id))!.state).toBe('success');
    expect((await second.app.request('/jobs', json({ kind: 't.long' }))).status).toBe(202);
  });

  it('is refused across processes too, and the process holding the file keeps answering 202', async () => {
    const data = mkdtempSync(join(dir, 'proc-'));
    const child = spawnFixture('test/fixtures/disk-full-server.ts', { DATA_DIR: data });
    try {
      const port = Number((await child.waitFor(/^READY (\d+)/))[1]);
      const enqueue = () => fetch(`http://127.0.0.1:${port}/jobs`, { method: 'POST', headers: { 'x-user': 'admin', 'content-type': 'application/json' }, body: '{"kind":"disk.lines"}' });
      await until(async () => (await enqueue()).status === 202);
      const here = service(join(data, 'jobs.db'));
      here.jobs.define('disk.lines', { run: () => undefined });
      expect((await here.app.request('/jobs', json({ kind: 'disk.lines' }))).status).toBe(503);
      await until(() => here.logger.errors.some((e) => /another process has the SQLite file/.test(String(e.err))));
      expect((await enqueue()).status).toBe(202);
      expect(child.lines.filter((line) => line.startsWith('ESCAPED') || line.includes('"level":"error"'))).toEqual([]);
    } finally {
      await child.stop();
    }
  }, 60_000);
});
