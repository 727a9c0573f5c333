import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { isTerminalState } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { percentile, pick, printReport, sleep, waitUntil } from './support/chaos.js';
import { USER_HEADER } from './support/chaos-server.js';
import type { RandomPlan } from './support/chaos-server.js';
import { memoryOf, rawGet, resumePoint, startServerProcess } from './support/server-process.js';

/**
 * Issue 13, finding 6: streams that resume from the start of a large event log and never
 * read. Before, each replay held a page of a thousand events and up to half the
 * slow-reader bound while it polled for room every 10 ms: 2 000 of them took the server
 * from 102 MB to 4.1 GB, delayed a normal client's event by 14.5 s, and the memory stayed.
 * Now each waits with at most its share of `limits.maxReplayBytes` and nothing else held,
 * on a promise, not a timer; a resume past that budget gets `resync` instead.
 */
const STREAMS = pick(400, 2000);
const PER_CALLER = 8;
/** Events of about 1 KB each in the log the readers resume from. */
const EVENTS = pick(3000, 9000);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('replays to readers that never read', () => {
  it(
    'keep the server memory bounded and a normal client served while thousands of resumes wait',
    async () => {
      const server = await startServerProcess(cleanups);
      const { port, url } = server;
      const as = (user: string) => ({ [USER_HEADER]: user });
      const post = async (kind: string, input: unknown, target: string | null = null) => {
        const response = await fetch(`${url}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...as('driver') },
          body: JSON.stringify({ kind, input, target }),
        });
        // A refused enqueue (429, 503) is a failure of its own, not a job that never ends.
        expect(response.status, await response.clone().text()).toBe(202);
        return ((await response.json()) as { job_id: string }).job_id;
      };
      const job = async (id: string) => (await (await fetch(`${url}/jobs/${id}`, { headers: as('driver') })).json()) as JobSnapshot;

      const from = await resumePoint(url, as('driver'));
      const burst = await post('chaos.burst', { count: EVENTS, pad: 1000 });
      expect(await waitUntil(async () => isTerminalState((await job(burst)).state), 60_000, 100)).toBe(true);
      const baseline = memoryOf(server.pid).rss;

      // A normal client's stream, and the time from each of its enqueues to the terminal event.
      const normal = await fetch(`${url}/jobs/events?kind=chaos.random&target=normal`, { headers: as('normal') });
      const normalReader = normal.body!.getReader();
      let normalText = '';
      void (async () => {
        for (;;) {
          const { value, done } = await normalReader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          normalText += new TextDecoder().decode(value);
        }
      })();
      cleanups.push(() => normalReader.cancel().catch(() => undefined));
      const plan: RandomPlan = { steps: [5], outcome: 'success', logEvery: 0 };
      const latency = async () => {
        const started = Date.now();
        const id = await post('chaos.random', plan, 'normal');
        const seen = await waitUntil(() => new RegExp(`"job_id":"${id}"[^\\n]*"state":"success"`).test(normalText), 30_000, 5);
        return seen ? Date.now() - started : Infinity;
      };
      const before = [await latency(), await latency(), await latency()];

      // The readers: STREAMS streams from STREAMS / 8 callers, each resuming from before the burst, none reading.
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(memoryOf(server.pid).rss), 100);
      cleanups.push(() => clearInterval(sampler));
      const sockets: Socket[] = [];
      cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
      // The normal client keeps enqueueing while the replays start and wait.
      const during: number[] = [];
      let probing = true;
      // At an admin's pace, under the server's per-caller enqueue rate (600 a minute).
      const prober = (async () => {
        while (probing) {
          during.push(await latency());
          await sleep(150);
        }
      })();
      for (let i = 0; i < STREAMS; i++) {
        const socket = rawGet(port, `/jobs/events?last_event_id=${from}`, as(`replayer-${Math.floor(i / PER_CALLER)}`));
        socket.pause();
        sockets.push(socket);
        if (i % 50 === 49) await sleep(0);
      }
      const streams = async () => {
        try {
          return ((await (await fetch(`${url}/_chaos/streams`)).json()) as { streams: number }).streams;
        } catch (error) {
          throw new Error(`the server did not answer (exit ${server.child.exitCode}): ${server.stderr().slice(-2000)}`, { cause: error });
        }
      };
      const allOpen = await waitUntil(async () => (await streams()) >= STREAMS, 60_000, 100);
      await sleep(2000);
      probing = false;
      await prober;
      const peak = Math.max(...samples);

      // The readers leave.
      for (const socket of sockets) socket.destroy();
      await waitUntil(async () => (await streams()) <= 1, 30_000, 100);
      await sleep(1000);
      const after = memoryOf(server.pid).rss;

      printReport('replays to readers that never read', {
        tried: {
          'events in the log after the resume point (about 1 KB each)': EVENTS,
          'streams resuming from there, never reading': `${STREAMS} from ${STREAMS / PER_CALLER} callers`,
          'all held open by the server at once': allOpen ? 'yes' : 'no',
        },
        lost: {
          'server RSS (MiB): before → peak → after they left': `${baseline.toFixed(1)} → ${peak.toFixed(1)} → ${after.toFixed(1)}`,
          'a normal client, enqueue to terminal event (ms): before → during': `p50 ${percentile(before, 50)} → ${percentile(during, 50)}, max ${Math.max(...before)} → ${Math.max(...during)} (${during.length} jobs during)`,
        },
      });
      expect(allOpen).toBe(true);
      expect(during.every(Number.isFinite)).toBe(true);
      // 32 MiB of replay budget, plus what the sockets and their sessions cost, plus garbage
      // the collector has not taken yet (the peak of 400 streams ranged 36–159 MiB over
      // seven runs). Before the fix the same run peaked 770 MiB above its baseline.
      expect(peak - baseline).toBeLessThan(pick(200, 300));
    },
    180_000,
  );
});
