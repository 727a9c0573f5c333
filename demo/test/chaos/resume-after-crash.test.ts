import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEventId } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { DemoServer } from '../e2e/harness.js';
import { printReport, signIn, waitUntil } from './support/chaos.js';

/**
 * Issue 13, finding 4: after a SIGKILL and a restart, every stream that resumes hears what
 * it missed. Before, a stream scoped by kind, or not filtered at all, got `resync` and
 * then never the interrupted job's `failed` state; a `job=` stream got it, but with the
 * same `seq` as the last `running` event it had seen (the crash erased the numbers that
 * had not reached the disk, and the restart handed them out again), so a client that
 * ignores snapshots that are not newer dropped it.
 */
const API = '/api/admin/jobs';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stream read to the end, its events parsed as they come. */
function follow(url: string, cookie: string) {
  const events: Array<{ event: string; id: string | undefined; data: string }> = [];
  const controller = new AbortController();
  const parser = createParser({ onEvent: (e) => void events.push({ event: e.event ?? 'message', id: e.id, data: e.data }) });
  void (async () => {
    try {
      const response = await fetch(url, { headers: { cookie }, signal: controller.signal });
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // cut by the crash, or closed by the test
    }
  })();
  cleanups.push(() => controller.abort());
  const updates = (jobId: string) =>
    events.filter((e) => e.event === 'job-update').map((e) => ({ ...(JSON.parse(e.data) as JobSnapshot), eventId: e.id })).filter((u) => u.job_id === jobId);
  return { events, updates, close: () => controller.abort() };
}

describe('streams that resume after a crash', () => {
  it(
    'hear the interrupted job as failed, with a seq above every one they saw, whatever their filter',
    async () => {
      const server = new DemoServer(1);
      cleanups.push(() => server.stop());
      await server.start();
      const cookie = await signIn(server.url);
      const post = async (kind: string, target: string) => {
        const response = await fetch(`${server.url}${API}`, {
          method: 'POST',
          headers: { cookie, origin: server.url, 'content-type': 'application/json' },
          body: JSON.stringify({ kind, target }),
        });
        return ((await response.json()) as { initial_status: JobSnapshot }).initial_status;
      };

      const job = await post('sync.push', 'peer-a');
      const queries = { kind: `?kind=sync.push`, unfiltered: '', job: `?job=${job.job_id}` };
      const before = Object.fromEntries(Object.entries(queries).map(([name, query]) => [name, follow(`${server.url}${API}/events${query}`, cookie)]));

      // Kill the server while every stream holds a progress event that has not reached the disk.
      const dbPath = join(server.dataDir, 'jobs.db');
      const diskHead = () => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return (db.prepare('SELECT MAX(seq) AS s FROM job_status_events').get() as { s: number }).s;
        } finally {
          db.close();
        }
      };
      const lastSeq = (name: string) => Math.max(0, ...before[name]!.updates(job.job_id).map((u) => u.seq));
      const ahead = await waitUntil(() => Object.keys(queries).every((name) => lastSeq(name) > diskHead() && before[name]!.updates(job.job_id).at(-1)!.state === 'running'), 20_000, 2);
      await server.kill();
      const held = Object.fromEntries(Object.keys(queries).map((name) => [name, { seq: lastSeq(name), id: before[name]!.events.filter((e) => e.id).at(-1)!.id! }]));
      const head = diskHead();
      for (const stream of Object.values(before)) stream.close();

      // Restart; each stream resumes from the last event id it received.
      await server.start();
      const after = Object.fromEntries(
        Object.entries(queries).map(([name, query]) => [name, follow(`${server.url}${API}/events${query}${query ? '&' : '?'}last_event_id=${held[name]!.id}`, cookie)]),
      );
      const heard = (name: string) => after[name]!.updates(job.job_id).at(-1);
      await waitUntil(() => Object.keys(queries).every((name) => after[name]!.events.some((e) => e.event === 'ready')), 10_000, 20);
      await waitUntil(() => Object.keys(queries).every((name) => heard(name)?.state === 'failed'), 5000, 20);

      printReport('streams that resume after a crash', {
        tried: {
          'job killed while running': `${job.job_id.slice(0, 8)} (sync.push)`,
          'log head on disk at the kill': head,
          ...Object.fromEntries(Object.keys(queries).map((name) => [`${name} stream held`, `seq ${held[name]!.seq}, id ${held[name]!.id}`])),
        },
        lost: Object.fromEntries(
          Object.keys(queries).map((name) => [
            `${name} stream after resuming`,
            `${after[name]!.events.filter((e) => e.event !== 'heartbeat').map((e) => e.event).join(' ')}; heard ${heard(name) ? `${heard(name)!.state} at seq ${heard(name)!.seq}` : 'nothing of the job'}`,
          ]),
        ),
      });
      expect(ahead).toBe(true);
      for (const name of Object.keys(queries)) {
        const names = after[name]!.events.map((e) => e.event).filter((e) => e !== 'heartbeat');
        expect(names[0], name).toBe('resync');
        expect(heard(name), name).toMatchObject({ state: 'failed', error: { code: 'interrupted' } });
        expect(heard(name)!.seq, name).toBeGreaterThan(held[name]!.seq);
        expect(parseEventId(after[name]!.events.find((e) => e.event === 'ready')!.id)!.seq, name).toBeGreaterThanOrEqual(heard(name)!.seq);
      }
    },
    60_000,
  );
});
