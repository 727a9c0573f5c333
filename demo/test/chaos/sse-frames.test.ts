import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobStatusClient } from '@job-status/elements/client';
import { encodeFrame } from '@job-status/hono';
import { isJobSnapshot } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { pick, printReport, waitUntil } from './support/chaos.js';
import { eventSourceClass } from './support/event-source.js';
// The byte cutter the server suite's encoder test uses, so both cut streams the same way.
import { cutBytes } from '../../../server-adapter/test/support.js';

/**
 * Hostile input on the stream side: the real client fed a stream of garbage mixed with
 * real updates. The client must never throw, never show anything but a well-formed
 * snapshot of the job it watches, never go back to an older one, and still take every
 * real update. (The encoder's own round trip is in server-adapter/test/sse-frame.test.ts.)
 */
const STREAM_RUNS = pick(40, 400);

const JOB = '7b1e0c1a-1b2c-4d3e-8f40-5a6b7c8d9e0f';
const base: JobSnapshot = {
  job_id: JOB,
  kind: 'sync.push',
  target: 'peer-a',
  label: 'Push to peer-a',
  state: 'running',
  phase: 'Uploading records',
  progress: { percent: 10, current: 1, total: 10, unit: 'files' },
  message: null,
  error: null,
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: null,
  updated_at: '2026-01-01T00:00:00.000Z',
  seq: 1,
  has_logs: false,
  actor: 'admin',
};
const snapshotAt = (seq: number): JobSnapshot => ({ ...base, seq, progress: { ...base.progress!, current: seq % 11 }, updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() });

/** One piece of the hostile stream: a real update, or something a broken proxy or server might send. */
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 2, max: 60 }).map((seq) => ({ real: seq, text: encodeFrame({ event: 'job-update', id: `e-${seq}`, data: JSON.stringify(snapshotAt(seq)) }) })) },
  fc.integer({ min: 2, max: 60 }).map((seq) => ({ text: encodeFrame({ event: 'job-update', id: `e-${seq}`, data: JSON.stringify({ ...snapshotAt(seq), job_id: '00000000-0000-4000-8000-000000000000' }) }) })),
  fc.constantFrom<Partial<Record<keyof JobSnapshot, unknown>>>(
    { seq: '9' }, { seq: 9.5 }, { seq: 2 ** 60 }, { state: 'exploded' }, { job_id: '' }, { progress: { percent: 'x' } }, { error: { code: 1 } }, { has_logs: 'yes' }, { label: null },
  ).map((broken) => ({ text: encodeFrame({ event: 'job-update', id: 'e-x', data: JSON.stringify({ ...snapshotAt(99), ...broken }) }) })),
  fc.oneof(fc.json(), fc.string()).map((data) => ({ text: encodeFrame({ event: 'job-update', data }) })),
  fc.tuple(fc.constantFrom('message', 'job_update', 'JOB-UPDATE', 'ready', 'x'), fc.string()).map(([event, data]) => ({ text: encodeFrame({ event, data }) })),
  fc.constantFrom('x', '{}', 'null', '[]', '{"interval_ms":null}').map((data) => ({ text: encodeFrame({ event: 'heartbeat', data }) })),
  fc.constantFrom(': comment\n\n', 'retry: soon\n\n', 'retry: 99999999999999999999\n\n', 'id: a\u0000b\ndata: {}\n\n', 'nonsense\n\n', 'data\n\n', '\ufeffdata: x\n\n', `data: ${'x'.repeat(100_000)}\n\n`, '\r\n\r\n', 'event: job-update\r\ndata: {"seq":\r\n\r\n').map((t) => ({ text: t })),
);

describe('the real client against a hostile stream', () => {
  const runs = new Map<string, Uint8Array[]>();
  let url = '';
  const server = createServer((request, response) => {
    const run = /^\/run\/([^/]+)\//.exec(request.url ?? '')?.[1] ?? '';
    if (request.url?.includes('/events')) {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // The run's bytes once; a reconnect gets an idle stream.
      const parts = runs.get(run) ?? [];
      runs.delete(run);
      let i = 0;
      const next = () => {
        if (response.destroyed) return;
        if (i < parts.length) response.write(parts[i++], next);
      };
      next();
      request.on('close', () => response.destroy());
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ jobs: [snapshotAt(1)], next_cursor: null }));
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('shows only well-formed snapshots of its job, never an older one after a newer, and takes every real update', async () => {
    let n = 0;
    let pieces = 0;
    let updates = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 25 }), fc.array(fc.nat(), { maxLength: 10 }), async (stream, cuts) => {
        const run = String(n++);
        pieces += stream.length;
        const end = encodeFrame({ event: 'ready', id: `end-${run}`, data: '{}' });
        runs.set(run, cutBytes(new TextEncoder().encode(stream.map((p) => p.text).join('') + end), cuts));
        let ended = false;
        const client = createJobStatusClient({
          baseUrl: `${url}/run/${run}/jobs`,
          EventSource: eventSourceClass({ onEvent: (event) => void (ended ||= event.lastEventId === `end-${run}`) }),
        });
        const heard: unknown[] = [];
        const stop = client.watch(JOB, (update) => void heard.push(update));
        try {
          // The stream is read to its end, and the job is known (from the stream, or the first poll).
          expect(await waitUntil(() => ended && client.peek(JOB) !== undefined, 5000, 5)).toBe(true);
          await new Promise((resolve) => setTimeout(resolve, 0));
          const seqs: number[] = [];
          for (const update of heard as Array<{ type: string; snapshot?: JobSnapshot }>) {
            expect(update.type).toBe('snapshot');
            expect(isJobSnapshot(update.snapshot)).toBe(true);
            expect(update.snapshot!.job_id).toBe(JOB);
            // Exactly what the server sent for that seq, never a broken variant.
            expect(update.snapshot).toEqual(snapshotAt(update.snapshot!.seq));
            seqs.push(update.snapshot!.seq);
          }
          updates += seqs.length;
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
          expect(new Set(seqs).size).toBe(seqs.length);
          const newest = Math.max(1, ...stream.flatMap((p) => ('real' in p && p.real !== undefined ? [p.real] : [])));
          expect(client.peek(JOB)?.seq).toBe(newest);
        } finally {
          stop();
          client.close();
        }
      }),
      { numRuns: STREAM_RUNS },
    );
    printReport('the client against a hostile stream', { tried: { 'streams': STREAM_RUNS, 'pieces (real updates and garbage)': pieces, 'updates the listener heard': updates }, lost: { 'property failures': 0 } });
  }, pick(60_000, 300_000));
});
