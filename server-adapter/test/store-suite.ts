import { describe, expect, it } from 'vitest';
import type { JobStore, StoredJob, UnnumberedJob } from '@job-status/hono';
import { until } from './support.js';

let counter = 0;
/** A job as the registry would save it; `minute` orders creation times. */
export function jobFixture(patch: Partial<UnnumberedJob> = {}, minute = counter++): UnnumberedJob {
  const at = new Date(Date.UTC(2026, 10, 25, 9, 0, 0) + minute * 60_000).toISOString();
  return {
    job_id: crypto.randomUUID(),
    kind: 'sync.push',
    target: 'peer-a',
    label: 'Push to peer-a',
    state: 'queued',
    phase: null,
    progress: null,
    message: null,
    error: null,
    created_at: at,
    started_at: null,
    finished_at: null,
    updated_at: at,
    has_logs: false,
    actor: 'ada',
    input: { full: true },
    idempotency_key: null,
    owner: null,
    ...patch,
  };
}

const finished = (job: StoredJob, state: 'success' | 'failed', at: string): UnnumberedJob => ({
  ...job,
  state,
  finished_at: at,
  updated_at: at,
  error: state === 'failed' ? { code: 'x', message: 'broke', hint: 'try again' } : null,
});

/**
 * The behaviour every store must have. `make` returns a fresh, empty store; each test
 * opens it and closes it.
 */
export function storeBehaviour(name: string, make: () => JobStore | Promise<JobStore>, skip = false) {
  describe.skipIf(skip)(`${name} store`, () => {
    const withStore = (test: (store: JobStore) => Promise<void>) => async () => {
      const store = await make();
      await store.open();
      try {
        await test(store);
      } finally {
        await store.close();
      }
    };

    it('numbers every save with an increasing seq across jobs and reads the newest back', withStore(async (store) => {
      const a = await store.save(jobFixture(), { durable: true });
      const b = await store.save(jobFixture(), { durable: true });
      const a2 = await store.save({ ...a, state: 'running', progress: { percent: 10, current: null, total: null, unit: null } }, { durable: false });
      expect([a.seq < b.seq, b.seq < a2.seq]).toEqual([true, true]);
      expect(await store.get(a.job_id)).toMatchObject({ state: 'running', seq: a2.seq, input: { full: true }, progress: { percent: 10 } });
      expect(await store.head()).toBe(a2.seq);
      expect((await store.getMany([b.job_id, a.job_id, crypto.randomUUID()])).map((j) => j.job_id).sort()).toEqual([a.job_id, b.job_id].sort());
      expect(await store.get(crypto.randomUUID())).toBeNull();
    }));

    it('answers getNow, where it has it, as get answers: busy, finished and unknown jobs', withStore(async (store) => {
      if (!store.getNow) return;
      const busy = await store.save(jobFixture(), { durable: true });
      const moved = await store.save({ ...busy, state: 'running', phase: 'moving' }, { durable: false });
      const done = await store.save(finished(await store.save(jobFixture(), { durable: true }), 'success', new Date().toISOString()), { durable: true });
      for (const id of [busy.job_id, done.job_id, crypto.randomUUID()]) {
        expect(store.getNow(id)).toEqual(await store.get(id));
        // Twice: a finished job read once is answered from what the store kept.
        expect(store.getNow(id)).toEqual(await store.get(id));
      }
      expect(store.getNow(busy.job_id)).toMatchObject({ seq: moved.seq, phase: 'moving' });
      expect(store.getNow(done.job_id)).toMatchObject({ seq: done.seq, state: 'success' });
    }));

    it('keeps errors, results and nulls intact', withStore(async (store) => {
      const a = await store.save(jobFixture({ target: null, actor: null }), { durable: true });
      const done = await store.save({ ...finished(a, 'failed', new Date().toISOString()), result: { files: 3 } }, { durable: true });
      expect(await store.get(a.job_id)).toEqual(done);
    }));

    it('reads back exactly what it saved, one job or many at once', withStore(async (store) => {
      const saved = [
        await store.save(jobFixture({ input: null, has_logs: true, message: 'Quotes " and \\ and a line\nbreak, ünïcødé, 🚀' }), { durable: true }),
        await store.save(jobFixture({ input: undefined, target: null, actor: null, phase: 'Uploading', progress: { percent: 12.5, current: 5, total: 40, unit: 'files' } }), { durable: true }),
      ];
      const a = saved[0]!;
      saved.push(await store.save({ ...finished(a, 'failed', new Date().toISOString()), result: null }, { durable: true }));
      saved.shift();
      const b = await store.save(jobFixture({ input: { nested: { list: [1, 'two', null] } } }), { durable: true });
      saved.push(await store.save({ ...finished(b, 'success', new Date().toISOString()), result: { files: 3, names: ['a', 'b'] } }, { durable: true }));
      // A busy job saved again and again, a few columns at a time, reads back as its last save.
      let busy = await store.save(jobFixture({ owner: 'me' }), { durable: true });
      busy = await store.save({ ...busy, state: 'running', started_at: new Date().toISOString(), phase: 'Counting' }, { durable: true });
      busy = await store.save({ ...busy, progress: { percent: null, current: 1, total: null, unit: 'rows' } }, { durable: true });
      busy = await store.save({ ...busy, progress: { percent: null, current: 2, total: null, unit: 'rows' }, has_logs: true, message: 'two' }, { durable: true });
      busy = await store.save({ ...busy, phase: null, message: null }, { durable: true });
      saved.push(busy);
      for (const job of saved) expect(await store.get(job.job_id)).toEqual(job);
      const many = await store.getMany(saved.map((job) => job.job_id));
      expect(many.sort((x, y) => x.seq - y.seq)).toEqual([...saved].sort((x, y) => x.seq - y.seq));
      expect(await store.getMany([])).toEqual([]);
    }));

    it('finds a job by idempotency key', withStore(async (store) => {
      const a = await store.save(jobFixture({ idempotency_key: 'ada\nk1' }), { durable: true });
      expect((await store.findByIdempotencyKey('ada\nk1'))?.job_id).toBe(a.job_id);
      expect(await store.findByIdempotencyKey('bob\nk1')).toBeNull();
    }));

    it('lists with filters, three sorts and keyset pages', withStore(async (store) => {
      const saved: StoredJob[] = [];
      for (let i = 0; i < 7; i++) {
        saved.push(await store.save(jobFixture({ kind: i % 2 ? 'sync.pull' : 'sync.push', target: i < 4 ? 'peer-a' : 'peer-b' }, 1000 + i), { durable: true }));
      }
      await store.save(finished(saved[2]!, 'failed', '2027-06-01T00:00:00.000Z'), { durable: true });
      const ids = (jobs: StoredJob[]) => jobs.map((j) => j.job_id);
      const newest = await store.list({ sort: 'created_desc', limit: 3 });
      expect(ids(newest.jobs)).toEqual(ids([saved[6]!, saved[5]!, saved[4]!]));
      const next = await store.list({ sort: 'created_desc', limit: 3, cursor: newest.next_cursor! });
      expect(ids(next.jobs)).toEqual(ids([saved[3]!, saved[2]!, saved[1]!]));
      const last = await store.list({ sort: 'created_desc', limit: 3, cursor: next.next_cursor! });
      expect(ids(last.jobs)).toEqual([saved[0]!.job_id]);
      expect(last.next_cursor).toBeNull();
      expect(ids((await store.list({ sort: 'created_asc', limit: 2 })).jobs)).toEqual(ids([saved[0]!, saved[1]!]));
      expect((await store.list({ sort: 'updated_desc', limit: 1 })).jobs[0]!.job_id).toBe(saved[2]!.job_id);
      expect(ids((await store.list({ sort: 'created_desc', limit: 10, kinds: ['sync.pull'], targets: ['peer-a'] })).jobs)).toEqual(ids([saved[3]!, saved[1]!]));
      expect(ids((await store.list({ sort: 'created_desc', limit: 10, states: ['failed'] })).jobs)).toEqual([saved[2]!.job_id]);
      expect((await store.list({ sort: 'created_desc', limit: 10, states: ['canceled', 'warning'] })).jobs).toEqual([]);
    }));

    it('lists by last update, busy and finished jobs interleaved, through keyset pages and filters', withStore(async (store) => {
      const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 9, minute)).toISOString();
      const jobs: StoredJob[] = [];
      for (let i = 0; i < 8; i++) {
        const job = await store.save(jobFixture({ state: 'running', kind: i % 2 ? 'sync.pull' : 'sync.push' }, 3000 + i), { durable: true });
        // Even ones finish, odd ones keep running; updates alternate between the two kinds of job.
        const next = i % 2 ? { ...job, progress: { percent: i, current: null, total: null, unit: null }, updated_at: at(i) } : finished(job, i % 4 ? 'failed' : 'success', at(i));
        jobs.push(await store.save(next, { durable: i % 2 === 0 }));
      }
      // Two at the same instant: the job id breaks the tie, on both sides of the busy/finished line.
      jobs.push(await store.save(finished(await store.save(jobFixture({}, 3100), { durable: true }), 'success', at(20)), { durable: true }));
      jobs.push(await store.save(jobFixture({ state: 'running', updated_at: at(20) }, 3101), { durable: true }));
      const ids = (list: readonly StoredJob[]) => list.map((j) => j.job_id);
      const newestFirst = [...jobs].sort((a, b) =>
        a.updated_at === b.updated_at ? (a.job_id < b.job_id ? 1 : -1) : a.updated_at < b.updated_at ? 1 : -1,
      );
      const paged: StoredJob[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await store.list({ sort: 'updated_desc', limit: 3, cursor });
        paged.push(...result.jobs);
        if (!result.next_cursor) break;
        cursor = result.next_cursor;
      }
      expect(ids(paged)).toEqual(ids(newestFirst));
      const only = (test: (job: StoredJob) => boolean) => ids(newestFirst.filter(test));
      expect(ids((await store.list({ sort: 'updated_desc', limit: 20, states: ['running', 'failed'] })).jobs)).toEqual(only((j) => j.state === 'running' || j.state === 'failed'));
      expect(ids((await store.list({ sort: 'updated_desc', limit: 20, states: ['running'] })).jobs)).toEqual(only((j) => j.state === 'running'));
      expect(ids((await store.list({ sort: 'updated_desc', limit: 20, states: ['success'] })).jobs)).toEqual(only((j) => j.state === 'success'));
      expect(ids((await store.list({ sort: 'updated_desc', limit: 20, kinds: ['sync.pull'] })).jobs)).toEqual(only((j) => j.kind === 'sync.pull'));
      const second = await store.list({ sort: 'updated_desc', limit: 2, kinds: ['sync.push'], cursor: (await store.list({ sort: 'updated_desc', limit: 2, kinds: ['sync.push'] })).next_cursor! });
      expect(ids(second.jobs)).toEqual(only((j) => j.kind === 'sync.push').slice(2, 4));
    }));

    it('lists busy jobs oldest first', withStore(async (store) => {
      const a = await store.save(jobFixture({}, 2000), { durable: true });
      const b = await store.save(jobFixture({ state: 'running' }, 2001), { durable: true });
      await store.save(finished(await store.save(jobFixture({}, 2002), { durable: true }), 'success', new Date().toISOString()), { durable: true });
      expect((await store.listBusy()).map((j) => j.job_id)).toEqual([a.job_id, b.job_id]);
    }));

    it('appends log lines and reads them after a position', withStore(async (store) => {
      const a = await store.save(jobFixture(), { durable: true });
      for (let seq = 1; seq <= 5; seq++) await store.appendLog(a.job_id, { seq, ts: new Date().toISOString(), level: seq === 3 ? 'error' : 'info', message: `line ${seq}` });
      expect((await store.readLogs(a.job_id, 0, 100)).map((l) => l.message)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
      expect(await store.readLogs(a.job_id, 3, 1)).toEqual([{ seq: 4, ts: expect.any(String), level: 'info', message: 'line 4' }]);
      expect(await store.readLogs(crypto.randomUUID(), 0, 10)).toEqual([]);
    }));

    it('replays events after a position, and refuses positions it cannot replay', withStore(async (store) => {
      const a = await store.save(jobFixture(), { durable: true });
      const a2 = await store.save({ ...a, state: 'running' }, { durable: false });
      const a3 = await store.save({ ...a2, phase: 'Uploading' }, { durable: false });
      const events = await store.readEvents(a.seq, 100);
      expect(events!.map((e) => [e.seq, e.snapshot.state, e.snapshot.phase])).toEqual([[a2.seq, 'running', null], [a3.seq, 'running', 'Uploading']]);
      expect(events![0]!.snapshot).not.toHaveProperty('input');
      expect(await store.readEvents(a3.seq, 100)).toEqual([]);
      expect((await store.readEvents(0, 1))!.map((e) => e.seq)).toEqual([a.seq]);
      expect(await store.readEvents(a3.seq + 1, 100)).toBeNull();
    }));

    it('never changes a finished job again', withStore(async (store) => {
      const a = await store.save(jobFixture({ state: 'running' }), { durable: true });
      const done = await store.save(finished(a, 'failed', new Date().toISOString()), { durable: true });
      await expect(store.save({ ...done, state: 'success', error: null }, { durable: true })).rejects.toMatchObject({ code: 'already_finished' });
      await expect(store.save({ ...done, phase: 'late' }, { durable: false })).rejects.toMatchObject({ code: 'already_finished' });
      expect(await store.get(a.job_id)).toEqual(done);
      expect(await store.head()).toBe(done.seq);
    }));

    it('tells live owners from silent ones by their heartbeats', withStore(async (store) => {
      const [a, b] = [`a-${crypto.randomUUID()}`, `b-${crypto.randomUUID()}`];
      await store.beat(a);
      await store.beat(b);
      expect((await store.liveOwners(60_000)).filter((o) => o === a || o === b).sort()).toEqual([a, b].sort());
      await store.release(b);
      expect(await store.liveOwners(60_000)).not.toContain(b);
      // A beat older than the lapse no longer counts; a fresh beat does again.
      await until(async () => !(await store.liveOwners(1)).includes(a));
      await store.beat(a);
      expect(await store.liveOwners(60_000)).toContain(a);
    }));

    it('lets a busy job be claimed only from an owner that is silent, absent or the claimant itself', withStore(async (store) => {
      const [alive, silent, me] = [`alive-${crypto.randomUUID()}`, `silent-${crypto.randomUUID()}`, `me-${crypto.randomUUID()}`];
      await store.beat(alive);
      await store.beat(me);
      const ownedByAlive = await store.save(jobFixture({ state: 'running', owner: alive }), { durable: true });
      const ownedBySilent = await store.save(jobFixture({ state: 'running', owner: silent }), { durable: true });
      const ownerless = await store.save(jobFixture({ owner: null }), { durable: true });
      const mine = await store.save(jobFixture({ state: 'running', owner: me }), { durable: true });
      const over = await store.save(finished(await store.save(jobFixture({ owner: silent }), { durable: true }), 'success', new Date().toISOString()), { durable: true });
      const head = await store.head();

      expect(await store.claim(ownedByAlive.job_id, me, 60_000)).toBeNull();
      expect(await store.claim(ownedBySilent.job_id, me, 60_000)).toEqual({ ...ownedBySilent, owner: me });
      // Once claimed, the job belongs to a live owner: a second claimant gets nothing.
      expect(await store.claim(ownedBySilent.job_id, alive, 60_000)).toBeNull();
      expect((await store.claim(ownerless.job_id, me, 60_000))?.owner).toBe(me);
      expect((await store.claim(mine.job_id, me, 60_000))?.owner).toBe(me);
      expect(await store.claim(over.job_id, me, 60_000)).toBeNull();
      expect(await store.claim(crypto.randomUUID(), me, 60_000)).toBeNull();
      await store.release(alive);
      expect((await store.claim(ownedByAlive.job_id, me, 60_000))?.owner).toBe(me);
      // Claiming writes no event and keeps each job's seq.
      expect(await store.head()).toBe(head);
      expect((await store.get(ownedBySilent.job_id))).toMatchObject({ owner: me, seq: ownedBySilent.seq });
      // The owner that lost the job can no longer write it; the new owner can.
      await expect(store.save({ ...ownedBySilent, phase: 'late' }, { durable: true })).rejects.toMatchObject({ code: 'not_owner' });
      await expect(store.save({ ...ownedBySilent, phase: 'late' }, { durable: false })).rejects.toMatchObject({ code: 'not_owner' });
      expect(await store.head()).toBe(head);
      expect((await store.save({ ...ownedBySilent, owner: me, phase: 'taken over' }, { durable: true })).seq).toBe(head + 1);
    }));

    it('prunes old finished jobs with their logs and events, keeps busy ones, and caps the event log', withStore(async (store) => {
      const old = await store.save(jobFixture(), { durable: true });
      await store.appendLog(old.job_id, { seq: 1, ts: old.created_at, level: 'info', message: 'old' });
      await store.save(finished(old, 'success', '2026-01-01T00:00:00.000Z'), { durable: true });
      const busy = await store.save(jobFixture({ state: 'running' }), { durable: true });
      const recent = await store.save(jobFixture(), { durable: true });
      await store.save(finished(recent, 'success', new Date().toISOString()), { durable: true });
      // Read before pruning, so a store that keeps finished jobs it read has them.
      expect(await store.get(old.job_id)).toMatchObject({ state: 'success' });
      expect(await store.getMany([old.job_id, recent.job_id])).toHaveLength(2);
      const before = await store.head();
      const pruned = await store.prune({ finishedBefore: new Date('2026-06-01T00:00:00.000Z'), maxEvents: 1000 });
      expect(pruned.jobs).toBe(1);
      expect(await store.get(old.job_id)).toBeNull();
      expect((await store.getMany([old.job_id, recent.job_id])).map((job) => job.job_id)).toEqual([recent.job_id]);
      expect(await store.readLogs(old.job_id, 0, 10)).toEqual([]);
      expect(await store.get(busy.job_id)).not.toBeNull();
      expect(await store.get(recent.job_id)).not.toBeNull();
      // The old job's events are gone, so a resume point before them cannot be replayed.
      expect(await store.readEvents(0, 100)).toBeNull();
      expect(await store.readEvents(before, 100)).toEqual([]);
      await store.prune({ finishedBefore: new Date('2026-06-01T00:00:00.000Z'), maxEvents: 1 });
      // Only the newest event is left: a resume needing the one before it must resync.
      expect(await store.readEvents(before - 2, 100)).toBeNull();
      expect((await store.readEvents(before - 1, 100))!.map((e) => e.seq)).toEqual([before]);
      expect(await store.head()).toBe(before);
    }));
  });
}
