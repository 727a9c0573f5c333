import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { memoryStore } from '@job-status/hono';
import { publicSnapshot } from '@job-status/hono/store';
import type { JobStore } from '@job-status/hono';
import { EventFeed } from '../src/sse/event-feed.js';
import { jobFixture } from './store-suite.js';

/** A store with `count` events, and their snapshots as a bus would carry them. */
async function logOf(count: number): Promise<{ store: JobStore; events: JobSnapshot[] }> {
  const store = memoryStore();
  await store.open();
  const events: JobSnapshot[] = [];
  for (let i = 0; i < count; i++) events.push(publicSnapshot(await store.save(jobFixture(), { durable: true })));
  return { store, events };
}

function feedOn(store: JobStore) {
  const delivered: number[] = [];
  let lost = 0;
  const feed = new EventFeed(store, (seq) => void delivered.push(seq), () => void lost++);
  return { feed, delivered, lost: () => lost };
}

const settle = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 0));
};

describe('the event feed between a bus and the streams of one instance', () => {
  it('delivers each event once and in log order, however the bus reorders or repeats them', async () => {
    const { store, events } = await logOf(0);
    const { feed, delivered } = feedOn(store);
    await feed.start();
    for (let i = 0; i < 6; i++) events.push(publicSnapshot(await store.save(jobFixture(), { durable: true })));
    for (const index of [0, 2, 1, 4, 2, 5, 3, 0]) feed.offer(events[index]!);
    await settle(() => delivered.length >= 6);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads from the store what the bus never brought', async () => {
    const { store } = await logOf(0);
    const { feed, delivered } = feedOn(store);
    await feed.start();
    for (let i = 0; i < 3; i++) await store.save(jobFixture(), { durable: true });
    expect(delivered).toEqual([]);
    await feed.sync();
    expect(delivered).toEqual([1, 2, 3]);
  });

  it('starts at the head of the log: older events belong to each stream\'s own replay', async () => {
    const { store, events } = await logOf(3);
    const { feed, delivered } = feedOn(store);
    await feed.start();
    feed.offer(events[2]!);
    const next = publicSnapshot(await store.save(jobFixture(), { durable: true }));
    feed.offer(next);
    expect(delivered).toEqual([4]);
  });

  it('asks streams to resync when the events it still owes were pruned', async () => {
    const { store } = await logOf(0);
    const { feed, delivered, lost } = feedOn(store);
    await feed.start();
    const saved = [];
    for (let i = 0; i < 4; i++) saved.push(await store.save(jobFixture(), { durable: true }));
    await store.prune({ finishedBefore: new Date(0), maxEvents: 1 });
    feed.offer(publicSnapshot(saved[3]!));
    await settle(() => lost() > 0);
    expect(lost()).toBe(1);
    expect(delivered).toEqual([]);
    // From the new head on, it delivers again.
    const next = publicSnapshot(await store.save(jobFixture(), { durable: true }));
    feed.offer(next);
    expect(delivered).toEqual([next.seq]);
  });
});
