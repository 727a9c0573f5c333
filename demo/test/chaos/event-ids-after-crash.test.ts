import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobStatusClient } from '@job-status/elements/client';
import { isTerminalState, parseEventId } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { DemoServer } from '../e2e/harness.js';
import { printReport, signIn, sleep, waitUntil } from './support/chaos.js';
import { eventSourceClass } from './support/event-source.js';

/**
 * The crash the chaos run taught us to look at closely. A progress event reaches the
 * streams before the SQLite store writes it (non-durable saves are coalesced for up to
 * 250 ms). SIGKILL in that window, and the restarted server numbers its next events from
 * what is on disk. Until commit a824fc6 it kept the event log's epoch, so it handed out
 * again ids that clients already held, for other events: a client resuming from such an
 * id was replayed only what came after it, and never heard of the events that reused the
 * lower numbers. Now a store that was not closed cleanly starts a new epoch, and old
 * resume points resync.
 *
 * Here a client on the stream watches eight syncs and a "Verify" tile (`watchScope`). It
 * holds seq S, at least 3 past what is on disk, when the server dies. The restarted server
 * finishes the eight syncs as `interrupted` (numbers from the disk head on, some at or
 * below S), and another admin runs "Verify". The client must end with every sync
 * interrupted and the newest verify on its tile, without a reload. (Before the fix: 3 of
 * 8 syncs stayed `running` in every run.)
 */
const API = '/api/admin/jobs';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('event ids after a crash', () => {
  it(
    'a client that resumes from an event id the crash erased still hears the jobs that came after the restart',
    async () => {
      const server = new DemoServer(1);
      cleanups.push(() => server.stop());
      await server.start();
      const cookie = await signIn(server.url);
      const post = async (kind: string, target: string | null) => {
        const response = await fetch(`${server.url}${API}`, {
          method: 'POST',
          headers: { cookie, origin: server.url, 'content-type': 'application/json' },
          body: JSON.stringify({ kind, target }),
        });
        return ((await response.json()) as { initial_status: JobSnapshot }).initial_status;
      };

      let killAt: { seq: number; epoch: string; data: string } | null = null;
      let armed = false;
      const dbPath = join(server.dataDir, 'jobs.db');
      const disk: { db: Database.Database | null } = { db: null };
      const client = createJobStatusClient({
        baseUrl: `${server.url}${API}`,
        // Polls 60 s apart: the resumed stream alone must bring the news. (A poll that happens to
        // come before the stream resumes can hide the bug for the jobs whose new number is higher.)
        interval: 60_000,
        fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie } }),
        EventSource: eventSourceClass({
          headers: { cookie },
          onEvent: (event) => {
            // Kill at the moment the client holds a number at least 3 past what is on disk: the
            // events a quick job makes (queued, running, failed) fit in the numbers the crash erases.
            if (killAt || !armed || event.type !== 'job-update' || !event.lastEventId) return;
            const seq = parseEventId(event.lastEventId)!.seq;
            disk.db ??= new Database(dbPath, { readonly: true });
            const head = (disk.db.prepare('SELECT MAX(seq) AS s FROM job_status_events').get() as { s: number }).s;
            if (seq - head < 3) return;
            killAt = { seq, epoch: parseEventId(event.lastEventId)!.epoch, data: event.data };
            void server.kill();
          },
        }),
      });
      cleanups.push(() => disk.db?.close());
      cleanups.push(() => client.close());
      let tile: JobSnapshot | null = null;
      client.watchScope({ kind: 'dedalus.verify' }, (update) => {
        if (update.type === 'snapshot') tile = update.snapshot;
      });
      const shown = () => tile as JobSnapshot | null;
      const first = await post('dedalus.verify', null);
      expect(await waitUntil(() => shown()?.job_id === first.job_id && isTerminalState(shown()!.state), 10_000)).toBe(true);

      // Eight syncs at once: progress events every few milliseconds, written in batches.
      const syncs = new Map<string, JobSnapshot | null>();
      const follow = (job: JobSnapshot) => {
        syncs.set(job.job_id, null);
        client.watch(job.job_id, (update) => {
          if (update.type === 'snapshot') syncs.set(job.job_id, update.snapshot);
        });
      };
      for (const target of ['peer-a', 'peer-b', 'peer-a', 'peer-b']) {
        follow(await post('sync.push', target));
        follow(await post('sync.pull', target));
      }
      armed = true;
      expect(await waitUntil(() => killAt !== null, 15_000, 5)).toBe(true);
      await server.kill();
      disk.db?.close();
      disk.db = null;
      const held = killAt!;
      const db = new Database(dbPath, { readonly: true });
      const head = (db.prepare('SELECT MAX(seq) AS s FROM job_status_events').get() as { s: number }).s;
      db.close();
      const epochOf = () => {
        const meta = new Database(dbPath, { readonly: true });
        try {
          return (meta.prepare("SELECT value FROM job_status_meta WHERE key = 'epoch'").get() as { value: string }).value;
        } finally {
          meta.close();
        }
      };

      // Restart; another admin runs "Verify" until the log passes the number the client holds.
      await server.start();
      const epochAfter = epochOf();
      let second = first;
      let newest = 0;
      while (newest + 3 <= held.seq) {
        second = await post('dedalus.verify', null);
        await waitUntil(async () => {
          const answer = await fetch(`${server.url}${API}/${second.job_id}`, { headers: { cookie } });
          const now = (await answer.json()) as JobSnapshot;
          newest = now.seq;
          return isTerminalState(now.state);
        }, 5000, 20);
      }
      // The server's truth, once the syncs left over are interrupted (at once on SQLite).
      const truth = async (id: string) => (await (await fetch(`${server.url}${API}/${id}`, { headers: { cookie } })).json()) as JobSnapshot;
      await waitUntil(async () => (await Promise.all([...syncs.keys()].map(truth))).every((job) => isTerminalState(job.state)), 30_000, 200);
      const finals = new Map(await Promise.all([...syncs.keys()].map(async (id) => [id, await truth(id)] as const)));
      const stale = () => [...syncs].filter(([id, heard]) => heard?.seq !== finals.get(id)!.seq || heard?.state !== finals.get(id)!.state);
      // The client reconnects (2 s after the failure, then 4 s...) and polls while it cannot.
      await waitUntil(() => shown()?.job_id === second.job_id && stale().length === 0, 10_000, 100);
      await sleep(0);

      const after = new Database(dbPath, { readonly: true });
      const nowAtS = after.prepare('SELECT data FROM job_status_events WHERE seq = ?').get(held.seq) as { data: string } | undefined;
      after.close();
      printReport('event ids after a crash', {
        tried: {
          'the client held event': `seq ${held.seq} (a sync's progress report)`,
          'log head on disk when the server died': head,
          'epoch before / after the restart': `${held.epoch} / ${epochAfter}`,
          'after the restart, seq held by the client now names': nowAtS ? JSON.parse(nowAtS.data).kind + ' ' + JSON.parse(nowAtS.data).state : 'nothing',
          'verify jobs run after the restart; newest seq': `${second === first ? 'none (the recovery alone passed it)' : 'the last one: ' + second.job_id.slice(0, 8)}; ${newest}`,
        },
        lost: {
          'event ids handed out twice (same epoch and seq)': held.epoch === epochAfter ? Math.max(0, held.seq - head) : 0,
          'the verify tile shows': shown()?.job_id === second.job_id ? 'the newest verify (correct)' : `an older verify (${shown()?.job_id.slice(0, 8)}, ${shown()?.state}): stale until a reload`,
          'interrupted syncs the client still shows running': `${stale().length} of ${syncs.size}${stale().map(([id, heard]) => ` [${id.slice(0, 8)}: client seq ${heard?.seq} ${heard?.state}, server seq ${finals.get(id)!.seq} ${finals.get(id)!.state}]`).join('')}`,
        },
      });
      // The crash erased numbers the client held (the case this test is about)...
      expect(head).toBeLessThan(held.seq);
      // ...and the restarted server did not hand the same ids out again.
      expect(epochAfter).not.toBe(held.epoch);
      expect(shown()?.job_id).toBe(second.job_id);
      expect(stale()).toEqual([]);
    },
    70_000,
  );
});
