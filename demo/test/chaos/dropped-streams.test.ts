import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobStatusClient } from '@job-status/elements/client';
import type { JobStatusClient } from '@job-status/elements/client';
import { isTerminalState, parseEventId } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { pick, printReport, randomSource, sleep, tally, waitUntil } from './support/chaos.js';
import type { Random } from './support/chaos.js';
import { startChaosServer, USER_HEADER } from './support/chaos-server.js';
import type { RandomPlan } from './support/chaos-server.js';
import { eventSourceClass } from './support/event-source.js';
import type { ChaosEventSource, StreamConnection } from './support/event-source.js';
import { ChaosProxy, CUT_MODES } from './support/tcp-proxy.js';
import type { CutMode } from './support/tcp-proxy.js';

/**
 * Dropped streams: jobs with random lives, watched by the real browser client
 * (`@job-status/elements/client`) and by bare EventSources, through a proxy that breaks
 * stream connections at random moments, while the test also cuts streams from the
 * client side. Every client must end with every terminal state, hear no snapshot twice
 * and never go back to an older one; every bare reader, which has no polling to fall back
 * on, must get every event of the log after it connected, through its resumes alone.
 */
const JOBS = pick(500, 2000);
const CLIENTS = pick(6, 10);
const READERS = pick(2, 3);
const ENQUEUE_MS = pick(12_000, 40_000);
/** Mean life of a stream connection before the proxy breaks it. */
const CUT_MEAN_MS = 500;
/** A client-side cut of a random open stream this often. */
const CLIENT_CUT_EVERY_MS = 700;
/** Chance that the proxy drops a poll request (`?ids=`) before it reaches the server. */
const POLL_DROP = 0.05;
const HEARTBEAT_MS = 1000;
const PEERS = ['peer-a', 'peer-b', 'peer-c', 'peer-d', 'peer-e'];

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A random job: its kind, its plan, and when (if ever) the test cancels it. */
function drawJob(r: Random): { kind: string; input?: RandomPlan; cancelAfter: number | null } {
  if (r.chance(0.04)) return { kind: 'chaos.timeout', cancelAfter: null };
  const roll = r.next();
  const outcome: RandomPlan['outcome'] =
    roll < 0.5 ? 'success' : roll < 0.65 ? 'warning' : roll < 0.8 ? 'failed' : roll < 0.88 ? 'throw' : 'hang';
  const steps = Array.from({ length: r.int(0, 12) }, () => r.int(30, 400));
  const cancelAfter = outcome === 'hang' ? r.int(50, 2500) : r.chance(0.07) ? r.int(0, 1200) : null;
  return { kind: 'chaos.random', input: { steps, outcome, logEvery: r.pick([0, 1, 3]) }, cancelAfter };
}

/** What one listener of one client heard for one job. */
interface Heard {
  seqs: number[];
  last: JobSnapshot | null;
  duplicates: number;
  outOfOrder: number;
  other: string[];
}

/** Resume point of a stream request (the header a bare EventSource sends, or the client's query), or null. */
function resumePoint(connection: StreamConnection): number | null {
  const id = connection.lastEventIdHeader ?? new URL(connection.url).searchParams.get('last_event_id');
  return id ? (parseEventId(id)?.seq ?? null) : null;
}

/** Durable events on one connection that came at or before its resume point, or not in increasing order. */
function wireFaults(connection: StreamConnection) {
  const from = resumePoint(connection);
  const resynced = connection.events.some((e) => e.type === 'resync');
  let previous = -1;
  let beforeResume = 0;
  let unordered = 0;
  for (const event of connection.events) {
    if (event.type !== 'job-update' || !event.id) continue;
    const seq = parseEventId(event.id)!.seq;
    if (seq <= previous) unordered++;
    if (from !== null && !resynced && seq <= from) beforeResume++;
    previous = seq;
  }
  return { beforeResume, unordered };
}

describe('dropped streams', () => {
  it(
    `${JOBS} jobs with random lives reach every client and reader whole, through cut streams and resumes`,
    async () => {
      const r = randomSource();
      const finals = new Map<string, JobSnapshot>();
      const server = await startChaosServer({ heartbeatMs: HEARTBEAT_MS, onSettled: (s) => void finals.set(s.job_id, s) });
      cleanups.push(() => server.close());

      // ---- faults: the proxy breaks stream connections and drops some polls ----
      let faultsOn = true;
      const proxyCuts: CutMode[] = [];
      let streamRequests = 0;
      let pollsDropped = 0;
      const proxy = new ChaosProxy({ host: '127.0.0.1', port: server.port }, (connection, line) => {
        if (!faultsOn) return;
        if (/^GET \S*\/events(\?|$)/.test(line)) {
          streamRequests++;
          const timer = setTimeout(() => {
            if (!faultsOn || !connection.open || connection.cut) return;
            const mode = r.pick(CUT_MODES);
            proxyCuts.push(mode);
            connection.break(mode, r.int(1000, 3000));
          }, r.exp(CUT_MEAN_MS));
          timer.unref();
        } else if (line.includes('?ids=') && r.chance(POLL_DROP)) {
          pollsDropped++;
          connection.break('reset');
        }
      });
      await proxy.listen();
      cleanups.push(() => proxy.close());
      const base = `${proxy.url}/jobs`;

      // ---- the real clients ----
      const live = new Set<ChaosEventSource>();
      const clientConnections: Array<StreamConnection & { owner?: string }> = [];
      let polls = 0;
      let pollFailures = 0;
      const heard = new Map<string, Heard>();
      const clients: Array<{ name: string; client: JobStatusClient; watched: Set<string>; queue: string[] }> = [];
      for (let i = 0; i < CLIENTS; i++) {
        const name = `client-${i}`;
        const headers = { [USER_HEADER]: name };
        const client = createJobStatusClient({
          baseUrl: base,
          // The longest interval: updates should come by the stream, and a poll should not hide a lost one.
          interval: 60_000,
          fetch: async (input, init) => {
            const isPoll = String(input).includes('?ids=');
            if (isPoll) polls++;
            try {
              return await fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
            } catch (error) {
              if (isPoll) pollFailures++;
              throw error;
            }
          },
          EventSource: eventSourceClass({ headers, live, onConnection: (c) => void clientConnections.push(Object.assign(c, { owner: name })) }),
        });
        const entry = { name, client, watched: new Set<string>(), queue: [] as string[] };
        clients.push(entry);
        cleanups.push(() => client.close());
        // A client takes its new jobs in batches, as a page that opens a few tiles at a time; each batch
        // changes its stream's filter, so the client re-opens its stream with its last event id.
        const every = r.int(600, 1500);
        const batches = setInterval(() => {
          for (const id of entry.queue.splice(0)) watch(i, id);
        }, every);
        cleanups.push(() => clearInterval(batches));
      }
      const watch = (index: number, jobId: string) => {
        const { name, client, watched } = clients[index]!;
        const record: Heard = { seqs: [], last: null, duplicates: 0, outOfOrder: 0, other: [] };
        heard.set(`${name} ${jobId}`, record);
        watched.add(jobId);
        client.watch(jobId, (update) => {
          if (update.type !== 'snapshot') return void record.other.push(update.type);
          const { seq } = update.snapshot;
          if (record.seqs.includes(seq)) record.duplicates++;
          else if (record.seqs.length && seq < Math.max(...record.seqs)) record.outOfOrder++;
          record.seqs.push(seq);
          record.last = update.snapshot;
        });
      };

      // ---- bare readers: the EventSource's own reconnect with Last-Event-ID, no polling ----
      const readerConnections: StreamConnection[] = [];
      const readers = Array.from({ length: READERS }, (_, i) => {
        const ES = eventSourceClass({ headers: { [USER_HEADER]: `reader-${i}` }, live, onConnection: (c) => readerConnections.push(c) });
        const source = new ES(`${base}/events`);
        cleanups.push(() => source.close());
        const reader = { source, start: null as number | null, seqs: new Map<string, number[]>(), received: new Set<number>(), duplicates: 0, outOfOrder: 0 };
        source.addEventListener('ready', (event) => {
          reader.start ??= parseEventId((event as MessageEvent).lastEventId)!.seq;
        });
        source.addEventListener('job-update', (event) => {
          const snapshot = JSON.parse((event as MessageEvent).data) as JobSnapshot;
          const seqs = reader.seqs.get(snapshot.job_id) ?? [];
          reader.seqs.set(snapshot.job_id, seqs);
          if (seqs.includes(snapshot.seq)) reader.duplicates++;
          else if (seqs.length && snapshot.seq < Math.max(...seqs)) reader.outOfOrder++;
          seqs.push(snapshot.seq);
          reader.received.add(snapshot.seq);
        });
        return reader;
      });
      expect(await waitUntil(() => readers.every((reader) => reader.start !== null), 10_000)).toBe(true);

      // ---- client-side cuts ----
      let clientCuts = 0;
      const cutter = setInterval(() => {
        const open = [...live].filter((source) => source.readyState === 1);
        if (!open.length) return;
        r.pick(open).cut();
        clientCuts++;
      }, CLIENT_CUT_EVERY_MS);
      cleanups.push(() => clearInterval(cutter));

      // ---- the jobs: enqueued in bursts, watched by 1 to 3 clients, some canceled ----
      const started = Date.now();
      const ids: string[] = [];
      let cancels = 0;
      const pending: Promise<unknown>[] = [];
      while (ids.length < JOBS) {
        const burst = Math.min(JOBS - ids.length, r.int(1, 8));
        for (let i = 0; i < burst; i++) {
          const job = drawJob(r);
          const snapshot = await server.jobs.enqueue(job.kind, job.input, { target: r.pick(PEERS), actor: 'driver' });
          ids.push(snapshot.job_id);
          const watchers = new Set(Array.from({ length: r.int(1, 3) }, () => r.int(0, CLIENTS - 1)));
          for (const index of watchers) clients[index]!.queue.push(snapshot.job_id);
          if (job.cancelAfter !== null) {
            pending.push(
              sleep(job.cancelAfter).then(() =>
                server.jobs.cancel(snapshot.job_id, 'driver').then(() => cancels++, () => undefined /* already finished: 409 */),
              ),
            );
          }
        }
        await sleep(Math.max(0, (ids.length / JOBS) * ENQUEUE_MS - (Date.now() - started)));
      }
      await Promise.all(pending);
      expect(await waitUntil(() => clients.every((c) => !c.queue.length), 5000)).toBe(true);
      expect(await waitUntil(() => finals.size === JOBS, 60_000, 100)).toBe(true);
      const settledAt = Date.now();

      // ---- stop breaking things; everyone must now converge on the server's final states ----
      faultsOn = false;
      clearInterval(cutter);
      const clientDone = () =>
        [...heard].every(([key, h]) => {
          const final = finals.get(key.split(' ')[1]!)!;
          return h.last?.seq === final.seq;
        });
      const readerDone = () => readers.every((reader) => ids.every((id) => reader.seqs.get(id)?.includes(finals.get(id)!.seq)));
      await waitUntil(() => clientDone() && readerDone(), 45_000, 100);
      const convergedMs = Date.now() - settledAt;

      // ---- count ----
      let terminalMissed = 0;
      let listenerDuplicates = 0;
      let listenerOutOfOrder = 0;
      const otherUpdates: string[] = [];
      const terminalBy = { stream: 0, other: 0 };
      const streamedTo = new Map(clients.map((c) => [c.name, new Set<number>()]));
      for (const connection of clientConnections) {
        const seen = streamedTo.get(connection.owner!)!;
        for (const event of connection.events) if (event.type === 'job-update' && event.id) seen.add(parseEventId(event.id)!.seq);
      }
      for (const [key, h] of heard) {
        const final = finals.get(key.split(' ')[1]!)!;
        if (!h.last || h.last.seq !== final.seq || h.last.state !== final.state || !isTerminalState(h.last.state)) terminalMissed++;
        listenerDuplicates += h.duplicates;
        listenerOutOfOrder += h.outOfOrder;
        otherUpdates.push(...h.other);
        if (streamedTo.get(key.split(' ')[0]!)!.has(final.seq)) terminalBy.stream++;
        else terminalBy.other++;
      }

      const db = new Database(server.dbPath, { readonly: true });
      const log = db.prepare('SELECT seq, job_id FROM job_status_events ORDER BY seq').all() as Array<{ seq: number; job_id: string }>;
      db.close();
      let readerTerminalMissed = 0;
      let readerEventsLost = 0;
      let readerEventsExpected = 0;
      for (const reader of readers) {
        for (const id of ids) if (!reader.seqs.get(id)?.includes(finals.get(id)!.seq)) readerTerminalMissed++;
        for (const { seq } of log) {
          if (seq <= reader.start!) continue;
          readerEventsExpected++;
          if (!reader.received.has(seq)) readerEventsLost++;
        }
      }
      const wire = [...clientConnections, ...readerConnections].map(wireFaults);
      // A reader that did not converge: where its EventSource stands.
      const stuck = readers
        .filter((reader) => ids.some((id) => !reader.seqs.get(id)?.includes(finals.get(id)!.seq)))
        .map((reader) => {
          const mine = readerConnections.filter((c) => c.source === reader.source);
          const last = mine.at(-1)!;
          return `readyState ${reader.source.readyState} (${(reader.source as ChaosEventSource).activity}), ${mine.length} requests, the last ${last.end ?? 'open'} (status ${last.status}, ${last.events.length} events)`;
        });
      const resumedClient = clientConnections.filter((c) => resumePoint(c) !== null).length;
      const resumedReader = readerConnections.filter((c) => c.lastEventIdHeader !== null).length;
      const resyncs = [...clientConnections, ...readerConnections].filter((c) => c.events.some((e) => e.type === 'resync')).length;

      printReport('dropped streams', {
        tried: {
          seed: r.seed,
          'jobs (final states)': `${JOBS} (${tally([...finals.values()].map((s) => s.state))})`,
          'events in the log': log.length,
          'real clients / (client, job) watches': `${CLIENTS} / ${heard.size}`,
          'bare EventSource readers': READERS,
          'stream requests through the proxy': streamRequests,
          'proxy cuts': `${proxyCuts.length} (${tally(proxyCuts)})`,
          'client-side cuts': clientCuts,
          'polls / failed / dropped by the proxy': `${polls} / ${pollFailures} / ${pollsDropped}`,
          'cancels that hit a busy job': cancels,
          'client stream requests / resumed (last_event_id)': `${clientConnections.length} / ${resumedClient}`,
          'client stream answers': tally(clientConnections.map((c) => String(c.status ?? 'no answer'))),
          'how client streams ended': tally(clientConnections.map((c) => c.end ?? 'open')),
          'how reader streams ended': tally(readerConnections.map((c) => c.end ?? 'open')),
          'reader reconnects with Last-Event-ID header': resumedReader,
          'streams that had to resync': resyncs,
          'terminal states that reached a client by its stream / by a poll or snapshot': `${terminalBy.stream} / ${terminalBy.other}`,
          'converged after the last job settled (ms)': convergedMs,
        },
        lost: {
          'terminal states missed (clients)': `${terminalMissed} of ${heard.size}`,
          'events duplicated to listeners': listenerDuplicates,
          'out-of-order updates applied': listenerOutOfOrder,
          'gone / error updates': otherUpdates.length,
          'terminal states missed (readers)': `${readerTerminalMissed} of ${READERS * JOBS}`,
          'events lost (readers, vs the log)': `${readerEventsLost} of ${readerEventsExpected}`,
          'events duplicated / out of order (readers)': `${readers.reduce((n, x) => n + x.duplicates, 0)} / ${readers.reduce((n, x) => n + x.outOfOrder, 0)}`,
          'replayed at or before the resume point': wire.reduce((n, w) => n + w.beforeResume, 0),
          'ids out of order within one stream': wire.reduce((n, w) => n + w.unordered, 0),
          'server internal errors': server.internalErrors.length,
          ...(stuck.length ? { 'readers that did not converge': stuck.join('; ') } : {}),
        },
      });

      // The faults happened...
      expect(proxyCuts.length).toBeGreaterThanOrEqual(10);
      expect(clientCuts).toBeGreaterThanOrEqual(10);
      expect(resumedClient + resumedReader).toBeGreaterThanOrEqual(30);
      // ...and nothing was lost.
      expect(terminalMissed).toBe(0);
      expect(listenerDuplicates).toBe(0);
      expect(listenerOutOfOrder).toBe(0);
      expect(otherUpdates).toEqual([]);
      expect(readerTerminalMissed).toBe(0);
      expect(readerEventsLost).toBe(0);
      expect(readers.every((x) => x.duplicates === 0 && x.outOfOrder === 0)).toBe(true);
      expect(wire.every((w) => w.beforeResume === 0 && w.unordered === 0)).toBe(true);
      expect(server.internalErrors).toEqual([]);
    },
    pick(90_000, 300_000),
  );
});
