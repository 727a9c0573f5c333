import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { ConnectionState, JobStatusClient } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  /** A client on a fake clock, live on one stream, watching two busy jobs. */
  async function watching() {
    const tenant = await newTenant();
    const clock = new FakeClock();
    const requests = recordingFetch();
    const streams = recordingEventSource();
    client = createJobStatusClient({ baseUrl: tenant.baseUrl, clock, fetch: requests.fetch, EventSource: streams.EventSource });
    const jobs = await enqueueOnServer('test.gated', uniqueTarget(), 2);
    const heard: JobSnapshot[] = [];
    const stops = jobs.map((job) => client!.watch(job.job_id, (u) => u.type === 'snapshot' && heard.push(u.snapshot)));
    await clock.advance(10);
    await waitFor(() => client!.connection.state === 'live' && new Set(heard.map((s) => s.job_id)).size === 2, 'live');
    await waitFor(() => requests.requests.every((r) => r.status !== undefined), 'answers');
    expect(clock.delays.length).to.be.greaterThan(0); // the stream's watchdog, at least
    return { clock, requests, streams, jobs, heard, stops };
  }

  describe('after close()', () => {
    it('has no open stream, no timer, no listener call and says offline', async () => {
      const { clock, requests, streams, jobs, heard } = await watching();
      const states: ConnectionState[] = [];
      client!.connection.addEventListener('change', () => states.push(client!.connection.state));
      client!.close();
      expect(streams.open()).to.have.length(0);
      expect(clock.delays).to.deep.equal([]);
      expect(client!.connection.state).to.equal('offline');
      expect(states).to.deep.equal(['offline']);

      const count = heard.length;
      const late: unknown[] = [];
      const stop = client!.watch(jobs[0]!.job_id, (u) => late.push(u));
      expect(stop).to.be.a('function');
      await Promise.all(jobs.map((j) => release(j.job_id)));
      await clock.advance(10 * 60_000);
      expect(clock.delays).to.deep.equal([]);
      expect(streams.open()).to.have.length(0);
      expect(requests.requests.filter((r) => r.url.searchParams.has('ids'))).to.have.length(1);
      // Requests still work after close.
      expect((await client!.get(jobs[0]!.job_id)).job_id).to.equal(jobs[0]!.job_id);
      expect(heard).to.have.length(count);
      expect(late).to.deep.equal([]);
    });
  });

  describe('after the last unsubscribe', () => {
    it('closes the stream and clears every timer; one unsubscribe of two keeps them', async () => {
      const { clock, streams, jobs, stops } = await watching();
      stops[0]!();
      stops[0]!(); // a second call is harmless
      await clock.advance(10);
      expect(streams.open()).to.have.length(1);
      expect(client!.connection.state).to.equal('live');

      stops[1]!();
      await clock.advance(10);
      expect(streams.open()).to.have.length(0);
      expect(clock.delays).to.deep.equal([]);
      expect(client!.connection.state).to.equal('paused');
      await Promise.all(jobs.map((j) => release(j.job_id)));
    });

    it('also stops polling', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      const stop = client.watch(job!.job_id, () => {});
      await clock.advance(10);
      await waitFor(() => clock.delays.length === 1, 'the next poll planned');
      stop();
      await clock.advance(10);
      expect(clock.delays).to.deep.equal([]);
      await clock.advance(10 * 60_000);
      expect(requests.polls()).to.have.length(1);
      await release(job!.job_id);
    });
  });
});
