import { expect } from '@open-wc/testing';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient } from '../../src/client/index.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { frames, waitFor } from './wait-for.js';

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('watchJobs', () => {
    it('hears every job of its filter over the stream, new ones included, each change once', async () => {
      const tenant = await newTenant();
      const requests = recordingFetch();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, fetch: requests.fetch, EventSource: streams.EventSource });
      const target = uniqueTarget();
      const batches: JobSnapshot[][] = [];
      client.watchJobs({ kind: 'test.quick', target }, (jobs) => batches.push(jobs));
      await waitFor(() => client!.connection.state === 'live', 'live');
      expect(streams.sources[0]!.url).to.include('kind=test.quick').and.include(`target=${target}`);

      const [job] = await enqueueOnServer('test.quick', target);
      await enqueueOnServer('test.quick', uniqueTarget()); // another target: not heard
      const heard = () => batches.flat();
      await waitFor(() => heard().some((s) => s.state === 'success'), 'the new job, through to success');
      await frames(2);
      expect(new Set(heard().map((s) => s.job_id))).to.deep.equal(new Set([job!.job_id]));
      const seqs = heard().map((s) => s.seq);
      expect(seqs).to.deep.equal([...new Set(seqs)].sort((a, b) => a - b));
      // Stream only: no poll, no list.
      expect(requests.requests).to.have.length(0);
    });

    it('filters by state, and a job named by another watch does not leak into it', async () => {
      const tenant = await newTenant();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
      const target = uniqueTarget();
      const [gated] = await enqueueOnServer('test.gated', target);
      const done: JobSnapshot[] = [];
      client.watchJobs({ target, state: 'success' }, (jobs) => done.push(...jobs));
      client.watch(gated!.job_id, () => {});
      await waitFor(() => client!.connection.state === 'live', 'live');
      expect(streams.open()[0]!.url).to.include('state=success');
      await frames(2);
      expect(done).to.deep.equal([]); // the running job, carried for watch(), is not a success
      await release(gated!.job_id);
      await waitFor(() => done.length === 1, 'the job, once it succeeded');
      expect(done[0]).to.include({ job_id: gated!.job_id, state: 'success' });
    });

    it('stops hearing after unsubscribe, and the stream closes with the last watch', async () => {
      const tenant = await newTenant();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
      const target = uniqueTarget();
      const heard: JobSnapshot[] = [];
      const stop = client.watchJobs({ target }, (jobs) => heard.push(...jobs));
      await waitFor(() => client!.connection.state === 'live', 'live');
      stop();
      await waitFor(() => streams.open().length === 0, 'the stream closed');
      await enqueueOnServer('test.quick', target);
      await frames(2);
      expect(heard).to.deep.equal([]);
      expect(client.connection.state).to.equal('paused');
    });
  });

  describe('watchLogs', () => {
    it('hears the lines after `after`, in order and once each, old and new, over the stream', async () => {
      const tenant = await newTenant();
      const requests = recordingFetch();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, fetch: requests.fetch, EventSource: streams.EventSource });
      const { job_id } = await client.enqueue('test.logs', { lines: 3, rounds: 1 }, { target: uniqueTarget() });
      const lines: JobLogLine[] = [];
      client.watchLogs(job_id, 1, (batch) => lines.push(...batch));
      await waitFor(() => lines.length === 2, 'the stored lines after line 1');
      expect(streams.sources.at(-1)!.url).to.include(`log=${job_id}%3A1`.replace('%3A', ':'));
      const late: JobLogLine[] = [];
      client.watchLogs(job_id, 0, (batch) => late.push(...batch));
      await waitFor(() => late.length === 3, 'a late listener hears from its own start');
      await release(job_id);
      await waitFor(() => lines.length === 5 && late.length === 6, 'the live lines');
      await frames(2);
      expect(lines.map((l) => l.message)).to.deep.equal(['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
      expect(late.map((l) => l.seq)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(requests.requests.filter((r) => r.url.pathname.endsWith('/logs'))).to.have.length(0);
    });
  });
});
