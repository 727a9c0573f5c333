import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient, JobUpdate } from '../../src/client/index.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { frames, waitFor } from './wait-for.js';

const snapshots = (updates: JobUpdate[]) =>
  updates.flatMap((u) => (u.type === 'snapshot' ? [u.snapshot] : []));

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('when the stream works', () => {
    it('follows a job from queued to success through the stream', async () => {
      const tenant = await newTenant();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
      const { job_id, initial_status } = await client.enqueue('test.gated', {}, { target: uniqueTarget() });
      expect(initial_status.state).to.equal('queued');

      const updates: JobUpdate[] = [];
      client.watch(job_id, (u) => updates.push(u));
      await waitFor(() => snapshots(updates).some((s) => s.phase === 'Waiting for release'), 'the phase');
      await waitFor(() => client!.connection.state === 'live', 'live');
      const running = snapshots(updates).find((s) => s.phase === 'Waiting for release')!;
      expect(running.state).to.equal('running');
      await waitFor(() => snapshots(updates).at(-1)!.progress?.current === 1, 'the progress');
      expect(snapshots(updates).at(-1)!.progress).to.deep.include({ current: 1, total: 2, unit: 'steps' });

      await release(job_id);
      await waitFor(() => snapshots(updates).some((s) => s.state === 'success'), 'success');
      const seqs = snapshots(updates).map((s) => s.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).to.equal(seqs.length);
      expect(snapshots(updates).at(-1)!.message).to.equal('Released');
      expect(streams.sources).to.have.length(1);
      expect(client.peek(job_id)?.state).to.equal('success');
    });

    it('tells a late listener the current snapshot without repeating it to the others', async () => {
      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const [a, b] = await enqueueOnServer('test.gated', uniqueTarget(), 2);
      const first: JobUpdate[] = [];
      const late: JobUpdate[] = [];
      client.watch(a!.job_id, (u) => first.push(u));
      await waitFor(() => client!.connection.state === 'live' && first.length === 1, 'live');

      client.watch(a!.job_id, (u) => late.push(u));
      let other = 0;
      client.watch(b!.job_id, () => other++);
      await waitFor(() => late.length === 1 && other === 1, 'the late listeners');
      await frames(2);
      expect(late).to.deep.equal(first);
      expect(first).to.have.length(1);
      await Promise.all([release(a!.job_id), release(b!.job_id)]);
      await waitFor(() => snapshots(first).at(-1)?.state === 'success' && snapshots(late).at(-1)?.state === 'success', 'both hear success');
    });

    it('opens one stream and makes one fetch for 50 watches made together', async () => {
      const tenant = await newTenant();
      const streams = recordingEventSource();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, fetch: requests.fetch });
      const jobs = await enqueueOnServer('test.gated', uniqueTarget(), 50);
      const heard = new Map<string, JobSnapshot>();
      for (const job of jobs) {
        client.watch(job.job_id, (u) => u.type === 'snapshot' && heard.set(job.job_id, u.snapshot));
      }
      await waitFor(() => heard.size === 50, '50 snapshots');
      await waitFor(() => client!.connection.state === 'live', 'live');

      expect(streams.sources).to.have.length(1);
      const url = new URL(streams.sources[0]!.url);
      expect(url.searchParams.getAll('job').sort()).to.deep.equal(jobs.map((j) => j.job_id).sort());
      expect(requests.polls()).to.have.length(1);
      await Promise.all(jobs.map((j) => release(j.job_id)));
      await waitFor(() => [...heard.values()].every((s) => s.state === 'success'), '50 successes');
      expect(streams.sources).to.have.length(1);
    });

    it('re-opens the stream with the union of filters, resuming from the last event id', async () => {
      const tenant = await newTenant();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
      const [a, b] = await enqueueOnServer('test.gated', uniqueTarget(), 2);
      const heardA: JobSnapshot[] = [];
      const heardB: JobSnapshot[] = [];
      client.watch(a!.job_id, (u) => u.type === 'snapshot' && heardA.push(u.snapshot));
      await waitFor(() => client!.connection.state === 'live' && heardA.length > 0, 'live with a');

      client.watch(b!.job_id, (u) => u.type === 'snapshot' && heardB.push(u.snapshot));
      await waitFor(() => streams.sources.length === 2, 'a second stream');
      const second = new URL(streams.sources[1]!.url);
      expect(second.searchParams.getAll('job').sort()).to.deep.equal([a!.job_id, b!.job_id].sort());
      expect(second.searchParams.get('last_event_id')).to.match(/^[A-Za-z0-9_]+-\d+$/);
      expect(streams.open()).to.have.length(1);

      await release(a!.job_id);
      await release(b!.job_id);
      await waitFor(() => heardA.at(-1)?.state === 'success' && heardB.at(-1)?.state === 'success', 'both succeed');
    });

    it('keeps the stream when a watched job ends, and closes it when nothing busy is left', async () => {
      const tenant = await newTenant();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
      const [a, b] = await enqueueOnServer('test.gated', uniqueTarget(), 2);
      const states = new Map<string, string>();
      for (const job of [a!, b!]) client.watch(job.job_id, (u) => u.type === 'snapshot' && states.set(job.job_id, u.snapshot.state));
      await waitFor(() => client!.connection.state === 'live' && states.size === 2, 'live');

      await release(a!.job_id);
      await waitFor(() => states.get(a!.job_id) === 'success', 'a succeeds');
      expect(streams.sources).to.have.length(1);
      expect(streams.open()).to.have.length(1);

      await release(b!.job_id);
      await waitFor(() => states.get(b!.job_id) === 'success', 'b succeeds');
      await waitFor(() => streams.open().length === 0, 'the stream to close');
      expect(client.connection.state).to.equal('paused');
    });

    it('replaces its state with the snapshots that follow a resync', async () => {
      const tenant = await newTenant();
      // The second stream resumes from a point of another life of the event log (as
      // after a server restart), so the server answers `resync` and current snapshots.
      let opened = 0;
      class StaleOnReopen extends EventSource {
        constructor(url: string | URL) {
          super(++opened === 2 ? String(url).replace(/last_event_id=[^&]*/, 'last_event_id=0ld0epoch-99999') : url);
        }
      }
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: StaleOnReopen });
      const [a, b] = await enqueueOnServer('test.gated', uniqueTarget(), 2);
      const heardA: JobSnapshot[] = [];
      client.watch(a!.job_id, (u) => u.type === 'snapshot' && heardA.push(u.snapshot));
      await waitFor(() => client!.connection.state === 'live' && heardA.at(-1)?.state === 'running', 'live, a running');
      const count = heardA.length;

      client.watch(b!.job_id, () => {});
      // Without the resync the same snapshot (same seq) would be ignored as not newer;
      // after it, local state is replaced, so a hears its current snapshot again.
      await waitFor(() => heardA.length > count, 'a snapshot after the resync');
      expect(opened).to.equal(2);
      expect(heardA.at(-1)!.seq).to.equal(heardA[count - 1]!.seq);
      await Promise.all([release(a!.job_id), release(b!.job_id)]);
      await waitFor(() => heardA.at(-1)?.state === 'success', 'success');
    });
  });

  describe('when following a kind and target', () => {
    it('hears empty, then the newest job of the pair, then the next one', async () => {
      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const target = uniqueTarget();
      const updates: JobUpdate[] = [];
      client.watchScope({ kind: 'test.gated', target }, (u) => updates.push(u));
      await waitFor(() => updates.some((u) => u.type === 'empty'), 'empty');
      await waitFor(() => client!.connection.state === 'live', 'live');

      const { job_id: first } = await client.enqueue('test.gated', {}, { target });
      // A job of another target must not take the tile over.
      await client.enqueue('test.gated', {}, { target: uniqueTarget() });
      await waitFor(() => snapshots(updates).some((s) => s.job_id === first), 'the first job');
      await release(first);
      await waitFor(() => snapshots(updates).some((s) => s.job_id === first && s.state === 'success'), 'first succeeds');

      const [second] = await enqueueOnServer('test.gated', target);
      await waitFor(() => snapshots(updates).at(-1)?.job_id === second!.job_id, 'the next job');
      expect(snapshots(updates).every((s) => s.target === target)).to.equal(true);
      await release(second!.job_id);
      await waitFor(() => snapshots(updates).at(-1)?.state === 'success', 'second succeeds');
    });

    it('starts from the newest existing job', async () => {
      const tenant = await newTenant();
      const target = uniqueTarget();
      await enqueueOnServer('test.quick', target, 2);
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const [newest] = (await client.list({ kind: 'test.quick', target, limit: 1 })).jobs;
      const updates: JobUpdate[] = [];
      client.watchScope({ kind: 'test.quick', target }, (u) => updates.push(u));
      await waitFor(() => snapshots(updates).at(-1)?.state === 'success', 'a finished job');
      expect(snapshots(updates).at(-1)!.job_id).to.equal(newest!.job_id);
    });
  });
});
