import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient, JobUpdate } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { frames, waitFor } from './wait-for.js';

const realSetTimeout = window.setTimeout;

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('when updates arrive together', () => {
    it('delivers only the newest snapshot of a job per batch', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.twostep', uniqueTarget());
      const id = job!.job_id;
      const heard: string[] = [];
      client.watch(id, (u) => u.type === 'snapshot' && heard.push(`${u.snapshot.state}: ${u.snapshot.phase}`));
      await clock.advance(10);
      await waitFor(() => heard.includes('running: Step 1'), 'step 1');

      // Two newer snapshots, "Step 2" and then success, reach the client together.
      const onServer = async () => (await (await fetch(`${tenant.baseUrl}/${id}`)).json()) as JobSnapshot;
      requests.hold((url) => url.pathname.endsWith(id));
      await release(id);
      for (let i = 0; i < 200 && (await onServer()).phase !== 'Step 2'; i++);
      const step2 = client.get(id);
      await waitFor(() => requests.heldCount === 1, 'step 2 held');
      await release(id);
      for (let i = 0; i < 200 && (await onServer()).state !== 'success'; i++);
      const done = client.get(id);
      await waitFor(() => requests.heldCount === 2, 'success held');
      // Hold the page's timers (the batch goes out in one) until both answers are in, so
      // they surely share a batch.
      const held: Array<() => void> = [];
      window.setTimeout = ((callback: () => void) => held.push(callback)) as typeof window.setTimeout;
      try {
        requests.release();
        expect((await step2).phase).to.equal('Step 2');
        expect((await done).state).to.equal('success');
        expect(heard).to.deep.equal(['running: Step 1']);
      } finally {
        window.setTimeout = realSetTimeout;
      }
      for (const callback of held.splice(0)) callback();
      await frames(2);
      // Delivered one by one, "running: Step 2" would come in between.
      expect(heard).to.deep.equal(['running: Step 1', 'success: Step 2']);
    });

    it('never lets an older snapshot overwrite a newer one', async () => {
      const tenant = await newTenant();
      const requests = recordingFetch();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, fetch: requests.fetch, EventSource: streams.EventSource });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      // The first fetch's answer (job running) is held back until the stream has
      // delivered the job's success: then it arrives late, with a lower seq.
      requests.hold((url) => url.searchParams.has('ids'));
      const updates: JobUpdate[] = [];
      client.watch(job!.job_id, (u) => updates.push(u));
      await waitFor(() => requests.heldCount === 1, 'the held answer');
      await waitFor(() => client!.connection.state === 'live', 'live');
      await release(job!.job_id);
      await waitFor(() => updates.some((u) => u.type === 'snapshot' && u.snapshot.state === 'success'), 'success');

      requests.release();
      await waitFor(() => requests.polls()[0]!.status === 200, 'the late answer');
      await waitFor(() => client!.connection.state === 'paused', 'the poll to finish');
      await frames(2);
      const states = updates.map((u) => (u.type === 'snapshot' ? u.snapshot.state : u.type));
      expect(states.at(-1)).to.equal('success');
      expect(states.indexOf('success')).to.equal(states.length - 1);
      expect(client.peek(job!.job_id)?.state).to.equal('success');
      const seqs = updates.map((u) => (u as { snapshot: JobSnapshot }).snapshot.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    });
  });
});
