import { afterEach, describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import type { JobSnapshot } from '@job-status/protocol';
import { memoryBus, memoryStore } from '@job-status/hono';
import { SseHub } from '../src/sse/hub.js';
import type { SseSink } from '../src/sse/sink.js';
import { jobFixture } from './store-suite.js';

/**
 * Issue 13, finding 6: replays at the reader's pace, with bounded memory per stream and
 * per process. The sinks here are readers that take nothing until the test says so, so
 * what the server holds for them is counted exactly, byte for byte.
 */
const hubs: Array<SseHub<{ id: string }>> = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
});

/** A reader that takes nothing until `read()`: what waits for it is exactly `buffered`. */
function stalledReader() {
  let text = '';
  let taken = 0;
  let closed = false;
  const waiters = new Set<{ bytes: number; resolve: () => void }>();
  const encoder = new TextEncoder();
  const wake = () => {
    for (const waiter of waiters) {
      if (closed || sink.buffered <= waiter.bytes) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  let written = 0;
  let peak = 0;
  const sink: SseSink = {
    write(chunk) {
      written += chunk.byteLength;
      text += new TextDecoder().decode(chunk);
      peak = Math.max(peak, sink.buffered);
    },
    get buffered() {
      return written - taken;
    },
    drained: (bytes) =>
      new Promise<void>((resolve) => {
        waiters.add({ bytes, resolve });
        wake();
      }),
    end() {
      closed = true;
      wake();
    },
    destroy() {
      closed = true;
      wake();
    },
  };
  return {
    sink,
    /** Takes everything written so far, as a reader that caught up. */
    read() {
      taken = written;
      wake();
    },
    get peak() {
      return peak;
    },
    events() {
      const events: Array<{ event: string; id: string | undefined; data: string }> = [];
      const parser = createParser({ onEvent: (e) => void events.push({ event: e.event ?? 'message', id: e.id, data: e.data }) });
      parser.feed(text);
      return events;
    },
  };
}

const settle = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
};

async function hubWithLog(events: number, limits: { maxReplayBytes: number; maxBufferedBytes: number }) {
  const store = memoryStore();
  const { epoch } = await store.open();
  const saved: JobSnapshot[] = [];
  for (let i = 0; i < events; i++) {
    const { input: _i, idempotency_key: _k, owner: _o, ...snapshot } = await store.save(jobFixture({ phase: `${i} ${'x'.repeat(1000)}` }), { durable: true });
    saved.push(snapshot);
  }
  const bus = memoryBus();
  const hub = new SseHub<{ id: string }>({
    store,
    bus,
    epoch: Promise.resolve(epoch),
    heartbeatMs: 60_000,
    ...limits,
    maxStreamsPerCaller: 1000,
    canSee: undefined,
    snapshots: async () => [],
    logs: async () => [],
    internal: (error) => {
      throw error;
    },
  });
  hubs.push(hub);
  return { hub, epoch, saved, store, bus };
}

describe('replays with bounded memory (issue 13, finding 6)', () => {
  it('holds at most its share of the process budget for each reader that does not read, and finishes each replay once it reads', async () => {
    const budget = 64 * 1024;
    const { hub, epoch, saved } = await hubWithLog(400, { maxReplayBytes: budget, maxBufferedBytes: 1024 * 1024 });
    const readers = Array.from({ length: 4 }, () => stalledReader());
    const opened = readers.map((reader, i) =>
      hub.open({ principal: { id: `c${i}` }, callerId: `c${i}`, filter: { jobs: new Set(), kinds: new Set(), targets: new Set() }, lastEventId: `${epoch}-0`, sink: () => reader.sink }),
    );
    await settle(() => readers.every((reader) => reader.sink.buffered > 0));
    await new Promise((r) => setTimeout(r, 50));
    // Every replay waits for its reader with at most its window (the budget shared by 4) plus one event.
    const event = 1400;
    for (const reader of readers) expect(reader.sink.buffered).toBeLessThanOrEqual(budget / 4 + event);
    expect(readers.reduce((sum, reader) => sum + reader.sink.buffered, 0)).toBeLessThanOrEqual(budget + 4 * event);

    // The readers read: each replay goes on at its pace, and ends whole, in order.
    while (!readers.every((reader) => reader.events().some((e) => e.event === 'ready'))) {
      for (const reader of readers) reader.read();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(opened);
    for (const reader of readers) {
      const ids = reader.events().filter((e) => e.event === 'job-update').map((e) => Number(e.id!.split('-')[1]));
      expect(ids).toEqual(saved.map((s) => s.seq));
      expect(reader.peak).toBeLessThanOrEqual(budget / 4 + event);
    }
  });

  it('closes a stream whose live events pile up past the slow-reader bound while its replay waits', async () => {
    const { hub, epoch, store, bus } = await hubWithLog(400, { maxReplayBytes: 1024 * 1024, maxBufferedBytes: 64 * 1024 });
    const reader = stalledReader();
    let closed = false;
    void hub
      .open({ principal: { id: 'c' }, callerId: 'c', filter: { jobs: new Set(), kinds: new Set(), targets: new Set() }, lastEventId: `${epoch}-0`, sink: () => reader.sink })
      .finally(() => (closed = true));
    await settle(() => reader.sink.buffered > 0);
    // Live events while the replay waits for its reader: held, then too many.
    for (let i = 0; i < 100 && hub.size > 0; i++) {
      const { input: _i, idempotency_key: _k, owner: _o, ...snapshot } = await store.save(jobFixture({ phase: 'y'.repeat(2000) }), { durable: true });
      bus.publish({ type: 'job', snapshot });
      await new Promise((r) => setTimeout(r, 0));
    }
    await settle(() => closed);
    expect(hub.size).toBe(0);
    expect(reader.peak).toBeLessThanOrEqual(64 * 1024);
  });

  it('serves a resume the process has no room to replay with resync and the current snapshots', async () => {
    // Room for two catching-up streams of the smallest window.
    const { hub, epoch } = await hubWithLog(400, { maxReplayBytes: 32 * 1024, maxBufferedBytes: 1024 * 1024 });
    const stalled = [stalledReader(), stalledReader()];
    const open = (reader: ReturnType<typeof stalledReader>, i: number) =>
      hub.open({ principal: { id: `c${i}` }, callerId: `c${i}`, filter: { jobs: new Set(), kinds: new Set(), targets: new Set() }, lastEventId: `${epoch}-0`, sink: () => reader.sink });
    stalled.forEach((reader, i) => void open(reader, i));
    await settle(() => stalled.every((reader) => reader.sink.buffered > 0));
    const late = stalledReader();
    const opened = open(late, 9);
    // The snapshots after the resync (the 400 jobs are queued, so busy) go at this reader's pace too.
    while (!late.events().some((e) => e.event === 'ready')) {
      late.read();
      await new Promise((r) => setTimeout(r, 1));
    }
    await opened;
    expect(late.events().filter((e) => e.event === 'job-update')).toHaveLength(400);
    const names = late.events().map((e) => e.event).filter((e) => e !== 'heartbeat');
    expect(names[0]).toBe('resync');
    expect(names.at(-1)).toBe('ready');
    expect(late.events().find((e) => e.event === 'ready')!.id).toBe(`${epoch}-400`);
  });
});
