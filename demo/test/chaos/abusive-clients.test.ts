import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobStatusClient } from '@job-status/elements/client';
import { parseEventId } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { percentile, pick, printReport, sleep, tally, waitUntil } from './support/chaos.js';
import { USER_HEADER } from './support/chaos-server.js';
import type { RandomPlan } from './support/chaos-server.js';
import { eventSourceClass } from './support/event-source.js';
import { memoryOf, rawGet, startServerProcess } from './support/server-process.js';

/**
 * Slow and abusive clients against the job service in its own process (so its memory is
 * its own): readers that never read while a job floods their streams, connections opened
 * and dropped in a loop, more streams than the per-caller limit, huge `Last-Event-ID`
 * values, a thousand ids in one poll. Meanwhile a normal client (the real one) follows
 * its own jobs. Each abuser must get its 4xx or be cut off; the server's memory must stay
 * bounded; the normal client must get every event, and its latency is printed before and
 * during the abuse.
 */
const CHURN = pick(300, 3000);
const BASELINE_MS = pick(4000, 10_000);
const SLOW_READERS = 8;
/** Rounds of never-reading readers: each round opens 8 and waits until the server has cut them all off. */
const SLOW_ROUNDS = pick(2, 8);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Opens a stream on a raw socket and resolves with its status once the headers arrive; the socket stays open. */
async function openRaw(port: number, path: string, headers: Record<string, string>) {
  const socket = rawGet(port, path, headers);
  const status = await new Promise<number | 'closed'>((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0)));
    socket.once('close', () => resolve('closed'));
  });
  return { socket, status };
}

/** Sends a request and reads the status line and a bit of the body; `closed` when the server hung up first. */
function statusOf(port: number, path: string, headers: Record<string, string>): Promise<{ status: number | 'closed'; body: string }> {
  return new Promise((resolve) => {
    const socket = rawGet(port, path, headers);
    let text = '';
    const done = () => {
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status ? Number(status) : 'closed', body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      // Enough: the status line and a whole small body (or the first bytes of a stream).
      if (/\r\n\r\n/.test(text) && (text.includes('}') || text.length > 2000)) done();
    });
    socket.on('close', done);
    setTimeout(done, 5000).unref();
  });
}

const uuid = () => crypto.randomUUID();

describe('slow and abusive clients', () => {
  it(
    'cuts off or refuses every abuser, keeps memory bounded, and serves a normal client every event',
    async () => {
      const server = await startServerProcess(cleanups);
      const { port, url } = server;
      const as = (user: string) => ({ [USER_HEADER]: user });
      const streams = async () => ((await (await fetch(`${url}/_chaos/streams`)).json()) as { streams: number }).streams;
      const samples: Array<{ phase: string; rss: number }> = [];
      let phase = 'baseline';
      const sampler = setInterval(() => samples.push({ phase, rss: memoryOf(server.pid).rss }), 100);
      cleanups.push(() => clearInterval(sampler));

      // ---- the normal client: follows the newest job of its scope, on one stream ----
      const latency: Record<string, number[]> = { baseline: [], abuse: [] };
      const received = new Set<number>();
      let normalStart: number | null = null;
      const normalConnections: number[] = [];
      const normal = createJobStatusClient({
        baseUrl: `${url}/jobs`,
        fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...as('normal') } }),
        EventSource: eventSourceClass({
          headers: as('normal'),
          onConnection: () => void normalConnections.push(Date.now()),
          onEvent: (event) => {
            if (event.type === 'ready') normalStart ??= parseEventId(event.lastEventId)!.seq;
            if (event.type !== 'job-update' || !event.lastEventId) return;
            const snapshot = JSON.parse(event.data) as JobSnapshot;
            received.add(snapshot.seq);
            latency[phase]?.push(Date.now() - Date.parse(snapshot.updated_at));
          },
        }),
      });
      cleanups.push(() => normal.close());
      let newest: JobSnapshot | null = null;
      normal.watchScope({ kind: 'chaos.random', target: 'normal' }, (update) => {
        if (update.type === 'snapshot') newest = update.snapshot;
      });
      expect(await waitUntil(() => normalStart !== null, 10_000)).toBe(true);
      const post = (kind: string, input: unknown, target: string | null) =>
        fetch(`${url}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...as('driver') },
          body: JSON.stringify({ kind, input, target }),
        }).then(async (response) => ((await response.json()) as { job_id: string }).job_id);
      const plan: RandomPlan = { steps: [40, 40, 40, 40, 40], outcome: 'success', logEvery: 0 };
      let driving = true;
      let normalJobs = 0;
      const driver = (async () => {
        while (driving) {
          await post('chaos.random', plan, 'normal');
          normalJobs++;
          await sleep(250);
        }
      })();
      cleanups.push(() => {
        driving = false;
      });
      await sleep(BASELINE_MS);
      const baselineStreams = await streams();

      // ---- the abuse ----
      phase = 'abuse';
      const abuseStarted = Date.now();
      const flood = await post('chaos.flood', { pad: 4000, everyMs: 2 }, 'flood');

      // Readers that never read a byte of a stream the flood fills, round after round.
      const slowSockets: Array<ReturnType<typeof rawGet>> = [];
      cleanups.push(() => slowSockets.forEach((s) => s.destroy()));
      const cutOffMs: number[] = [];
      for (let round = 0; round < SLOW_ROUNDS; round++) {
        const opened = Date.now();
        for (let i = 0; i < SLOW_READERS; i++) {
          const socket = rawGet(port, '/jobs/events?kind=chaos.flood', as('abuser-slow'));
          socket.pause();
          slowSockets.push(socket);
        }
        await waitUntil(async () => (await streams()) > baselineStreams, 5000, 20);
        if (!(await waitUntil(async () => (await streams()) <= baselineStreams, 30_000, 100))) break;
        cutOffMs.push(Date.now() - opened);
      }
      const cutOff = cutOffMs.length === SLOW_ROUNDS;

      // More streams than the per-caller limit (8): the ninth and later get 429.
      const held = await Promise.all(Array.from({ length: 8 }, () => openRaw(port, '/jobs/events', as('abuser-greedy'))));
      cleanups.push(() => held.forEach((h) => h.socket.destroy()));
      const overLimit = await Promise.all(Array.from({ length: 12 }, () => statusOf(port, '/jobs/events', as('abuser-greedy'))));
      held.forEach((h) => h.socket.destroy());

      // Connections opened and dropped in a loop: at once, or after the first bytes.
      let churned = 0;
      const churn = async () => {
        while (churned < CHURN) {
          const n = churned++;
          const socket = rawGet(port, `/jobs/events?last_event_id=`, as('abuser-churn'));
          if (n % 2 === 0) socket.destroy();
          else await new Promise<void>((resolve) => socket.once('data', () => resolve()).once('close', () => resolve()));
          socket.destroy();
        }
      };
      const churning = Promise.all(Array.from({ length: 6 }, churn));

      // Huge or malformed Last-Event-ID values, as a header and as the query parameter.
      const ids: Array<[string, string, Record<string, string>]> = [];
      for (const size of [101, 1024, 8 * 1024, 15 * 1024, 64 * 1024, 1024 * 1024]) {
        ids.push([`header, ${size} chars`, '/jobs/events', { ...as('abuser-id'), 'last-event-id': 'a'.repeat(size) }]);
      }
      for (const size of [101, 8 * 1024, 64 * 1024]) ids.push([`query, ${size} chars`, `/jobs/events?last_event_id=${'7'.repeat(size)}`, as('abuser-id')]);
      ids.push(['header, a seq beyond 2^53', '/jobs/events', { ...as('abuser-id'), 'last-event-id': `abc-${'9'.repeat(30)}` }]);
      ids.push(['header, not an id', '/jobs/events', { ...as('abuser-id'), 'last-event-id': '../../etc/passwd' }]);
      const idAnswers = [];
      for (const [what, path, headers] of ids) idAnswers.push({ what, ...(await statusOf(port, path, headers)) });

      // A thousand watched ids in one poll (and in one stream).
      const thousand = Array.from({ length: 1000 }, uuid);
      const manyIds: Array<[string, string]> = [
        ['poll, 1000 job ids (37 KB)', `/jobs?ids=${thousand.join(',')}`],
        ['poll, 1000 short ids', `/jobs?ids=${Array.from({ length: 1000 }, (_, i) => i.toString(36)).join(',')}`],
        ['poll, 1000 repeated ids= params', `/jobs?${Array.from({ length: 1000 }, () => 'ids=a').join('&')}`],
        ['poll, 101 job ids', `/jobs?ids=${thousand.slice(0, 101).join(',')}`],
        ['stream, 1000 job= ids', `/jobs/events?${thousand.map((id) => `job=${id}`).join('&')}`],
        ['stream, 101 job= ids', `/jobs/events?${thousand.slice(0, 101).map((id) => `job=${id}`).join('&')}`],
      ];
      const idsAnswers = [];
      for (const [what, path] of manyIds) idsAnswers.push({ what, ...(await statusOf(port, path, as('abuser-ids'))) });

      await churning;
      await fetch(`${url}/jobs/${flood}/cancel`, { method: 'POST', headers: as('driver') });
      const abuseMs = Date.now() - abuseStarted;
      phase = 'after';
      const peak = memoryOf(server.pid);

      // The slow and churning callers hold nothing now: each can open the full 8 streams again.
      const reopen = async (user: string) => {
        const opened = await Promise.all(Array.from({ length: 8 }, () => openRaw(port, '/jobs/events', as(user))));
        opened.forEach((o) => o.socket.destroy());
        await waitUntil(async () => (await streams()) <= baselineStreams, 5000);
        return opened.filter((o) => o.status === 200).length;
      };
      const slowReopened = await reopen('abuser-slow');
      const churnReopened = await reopen('abuser-churn');

      driving = false;
      await driver;
      // The newest normal job settles; then compare what the normal client got with the log.
      await waitUntil(() => (newest as JobSnapshot | null)?.state === 'success' && normalJobs > 0, 10_000);
      await sleep(500);
      const db = new Database(server.dbPath, { readonly: true });
      const expected = (
        db
          .prepare("SELECT e.seq FROM job_status_events e JOIN job_status_jobs j ON j.job_id = e.job_id WHERE j.kind = 'chaos.random' AND j.target = 'normal' AND e.seq > ?")
          .all(normalStart) as Array<{ seq: number }>
      ).map((row) => row.seq);
      db.close();
      const missed = expected.filter((seq) => !received.has(seq)).length;

      const inPhase = (p: string) => samples.filter((s) => s.phase === p).map((s) => s.rss);
      const ms = (values: number[]) => `p50 ${percentile(values, 50)} ms, p95 ${percentile(values, 95)} ms (n=${values.length})`;
      const ratio = (p: number) => (percentile(latency.abuse!, p) / Math.max(1, percentile(latency.baseline!, p))).toFixed(2);
      const statusTally = (answers: Array<{ status: number | 'closed'; body: string }>) =>
        tally(answers.map((a) => `${a.status}${typeof a.status === 'number' && a.status < 500 && a.body.includes('"code"') ? ` ${JSON.parse(a.body.slice(0, a.body.lastIndexOf('}') + 1)).error.code}` : ''}`));
      printReport('slow and abusive clients', {
        tried: {
          'readers that never read (flooded, 4 KB events every 2 ms)': `${SLOW_ROUNDS} rounds of ${SLOW_READERS}`,
          'streams held to the limit, then more asked for': `8 + ${overLimit.length}`,
          'connections opened and dropped': churned,
          'Last-Event-ID cases': idAnswers.length,
          'thousand-id cases': idsAnswers.length,
          'normal client: jobs followed, events expected': `${normalJobs}, ${expected.length}`,
          'abuse phase (ms)': abuseMs,
        },
        answers: {
          'never-reading readers cut off': `${cutOffMs.length * SLOW_READERS} of ${SLOW_ROUNDS * SLOW_READERS} (a round of 8 was gone after ${cutOffMs.join(', ')} ms)`,
          'cut-offs the server logged': (server.stderr().match(/closed a stream whose reader fell/g) ?? []).length,
          'held to the limit (first 8)': tally(held.map((h) => String(h.status))),
          'over the limit': statusTally(overLimit),
          ...Object.fromEntries(idAnswers.map((a) => [`Last-Event-ID ${a.what}`, statusTally([a])])),
          ...Object.fromEntries(idsAnswers.map((a) => [a.what, statusTally([a])])),
          'streams the slow / churning callers could open afterwards': `${slowReopened} / ${churnReopened} of 8`,
        },
        'memory (server RSS, MiB)': {
          'baseline (max)': Math.max(...inPhase('baseline')).toFixed(1),
          'during the abuse (max sampled)': Math.max(...inPhase('abuse')).toFixed(1),
          'peak (VmHWM, whole life)': peak.peak.toFixed(1),
          after: memoryOf(server.pid).rss.toFixed(1),
        },
        'normal client': {
          'latency before the abuse': ms(latency.baseline!),
          'latency during the abuse': ms(latency.abuse!),
          'ratio during / before (p50, p95)': `${ratio(50)}, ${ratio(95)}`,
          'stream connections it needed': normalConnections.length,
          'events missed': `${missed} of ${expected.length}`,
        },
      });

      expect(cutOff).toBe(true);
      expect(held.every((a) => a.status === 200)).toBe(true);
      expect(overLimit.every((a) => a.status === 429 && a.body.includes('too_many_streams'))).toBe(true);
      // The app's 400 while the request fits Node's 16 KB header limit; beyond it Node answers
      // 431 itself, or hangs up while a megabyte is still being sent (cut off).
      const refused = (answer: { what: string; status: number | 'closed' }, big: boolean) =>
        expect(big ? [431, 'closed'] : [400], answer.what).toContain(answer.status);
      for (const answer of idAnswers) {
        refused(answer, /\b(65536|1048576) chars/.test(answer.what));
        if (answer.status === 400) expect(answer.body, answer.what).toContain('invalid_last_event_id');
      }
      for (const answer of idsAnswers) {
        refused(answer, /1000 (job ids|job= ids)/.test(answer.what));
        if (answer.status === 400) expect(answer.body, answer.what).toMatch(/too_many_(ids|jobs)/);
      }
      expect(slowReopened).toBe(8);
      expect(churnReopened).toBe(8);
      expect(normalConnections.length).toBe(1);
      expect(expected.length).toBeGreaterThan(50);
      expect(missed).toBe(0);
      // Bounded: the queues of 8 cut-off readers are 1 MiB each; allow the heap its churn.
      expect(Math.max(...inPhase('abuse')) - Math.max(...inPhase('baseline'))).toBeLessThan(100);
    },
    pick(90_000, 240_000),
  );
});
