import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { ConnectionState, JobStatusClient } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { answered, recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';


describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('without EventSource', () => {
    it('polls GET /?ids= at the interval until the job is terminal, then stops', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      let last: JobSnapshot | undefined;
      client.watch(job!.job_id, (u) => u.type === 'snapshot' && (last = u.snapshot));

      await clock.advance(10); // the debounce; the first fetch goes out at once
      await waitFor(answered(requests, 1), 'the first poll');
      await waitFor(() => last?.state === 'running', 'running');
      expect(client.connection.state).to.equal('polling');
      // The next poll is planned once the answer is handled, which may be a frame after the listener heard it.
      await waitFor(() => clock.delays.length > 0, 'the next poll planned');
      expect(clock.delays).to.deep.equal([3000]);

      await clock.advance(2999);
      expect(requests.polls()).to.have.length(1);
      await clock.advance(1);
      await waitFor(answered(requests, 2), 'the second poll');
      await waitFor(() => clock.delays.length > 0, 'the third poll planned');
      expect(clock.delays).to.deep.equal([3000]);

      await release(job!.job_id);
      await clock.advance(3000);
      await waitFor(() => last?.state === 'success', 'success');
      await waitFor(() => clock.delays.length === 0, 'no timer left');
      await clock.advance(60_000);
      expect(requests.polls()).to.have.length(3);
      expect(requests.polls().every((r) => r.url.searchParams.get('ids') === job!.job_id)).to.equal(true);
      expect(client.connection.state).to.equal('paused');
    });

    it('sends If-None-Match once it knows every job and reads a 304 as "unchanged"', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      const heard: JobSnapshot[] = [];
      client.watch(job!.job_id, (u) => u.type === 'snapshot' && heard.push(u.snapshot));
      await clock.advance(10);
      await waitFor(() => heard.at(-1)?.state === 'running', 'running');
      await waitFor(answered(requests, 1), 'first poll');
      expect(requests.polls()[0]!.headers.has('if-none-match')).to.equal(false);

      await clock.advance(3000);
      await waitFor(answered(requests, 2), 'second poll');
      const second = requests.polls()[1]!;
      expect(second.headers.get('if-none-match')).to.match(/^W\/".+"$/);
      expect(second.status).to.equal(304);
      expect(heard.filter((s) => s.state === 'running')).to.have.length(1);

      await release(job!.job_id);
      await clock.advance(3000);
      await waitFor(() => heard.at(-1)?.state === 'success', 'success after a 200');
    });

    it('clamps the interval to 2–60 s', () => {
      const base = 'http://127.0.0.1:9/jobs';
      expect(createJobStatusClient({ baseUrl: base, interval: 500 }).interval).to.equal(2000);
      expect(createJobStatusClient({ baseUrl: base, interval: 600_000 }).interval).to.equal(60_000);
      expect(createJobStatusClient({ baseUrl: base, interval: 5000 }).interval).to.equal(5000);
      expect(createJobStatusClient({ baseUrl: base }).interval).to.equal(3000);
    });

    it('polls no faster than the minimum interval the server advertises', async () => {
      const tenant = await newTenant({ minInterval: 7 });
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, interval: 2000, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      client.watch(job!.job_id, () => {});
      await clock.advance(10);
      await waitFor(answered(requests, 1), 'the first poll');
      await waitFor(() => clock.delays.length === 1, 'the next poll planned');
      expect(clock.delays).to.deep.equal([7000]);
      await release(job!.job_id);
    });

    it('never starts a poll while the previous one has not answered', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      client.watch(job!.job_id, () => {});
      await clock.advance(10);
      await waitFor(answered(requests, 1), 'the first poll');
      await waitFor(() => clock.delays.length === 1, 'the next poll planned');

      requests.hold((url) => url.searchParams.has('ids'));
      await clock.advance(3000);
      await waitFor(() => requests.heldCount === 1, 'a held answer');
      expect(clock.delays).to.deep.equal([]);
      await clock.advance(60_000);
      expect(requests.polls()).to.have.length(2);

      requests.release();
      // The next poll is planned from the moment the answer came.
      await waitFor(() => clock.delays.length === 1, 'the next poll planned');
      expect(clock.delays).to.deep.equal([3000]);
      await release(job!.job_id);
    });
  });

  describe('when polls fail', () => {
    it('backs off after 3 failures: 10 s, doubling, at most 2 min; one success resets', async () => {
      const tenant = await newTenant({ polls: 'fail' });
      const clock = new FakeClock();
      const requests = recordingFetch();
      const states: ConnectionState[] = [];
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      client.connection.addEventListener('change', () => states.push(client!.connection.state));
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      client.watch(job!.job_id, () => {});
      await clock.advance(10);

      const waits: number[] = [];
      for (let polls = 1; polls <= 8; polls++) {
        await waitFor(answered(requests, polls), `poll ${polls}`);
        await waitFor(() => clock.delays.length === 1, `the wait after poll ${polls}`);
        waits.push(clock.delays[0]!);
        if (polls < 8) await clock.advance(clock.delays[0]!);
      }
      expect(waits).to.deep.equal([3000, 3000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000]);
      expect(client.connection.state).to.equal('backoff');
      expect(client.connection.error).to.include({ type: 'http', status: 503, code: 'unavailable' });
      expect(states).to.include.members(['polling', 'backoff']);

      await tenant.set({});
      await clock.advance(120_000);
      await waitFor(answered(requests, 9), 'the poll that succeeds');
      await waitFor(() => clock.delays.length === 1, 'the wait after success');
      expect(clock.delays).to.deep.equal([3000]);
      expect(client.connection.state).to.equal('polling');
      expect(client.connection.error).to.equal(null);
      await release(job!.job_id);
    });

    it('honours Retry-After on a 503', async () => {
      const tenant = await newTenant({ polls: 'fail', retryAfter: 42 });
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      client.watch(job!.job_id, () => {});
      await clock.advance(10);
      await waitFor(answered(requests, 1), 'the first poll');
      await waitFor(() => clock.delays.length === 1, 'the next poll planned');
      expect(clock.delays).to.deep.equal([42_000]);
      await release(job!.job_id);
    });
  });

  describe('when the events route fails', () => {
    it('falls back to polling, retries the stream in the background and returns to live', async () => {
      const tenant = await newTenant({ events: 'fail' });
      const clock = new FakeClock();
      const requests = recordingFetch();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, clock, fetch: requests.fetch });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      let last: JobSnapshot | undefined;
      client.watch(job!.job_id, (u) => u.type === 'snapshot' && (last = u.snapshot));
      await clock.advance(10);
      await waitFor(() => client!.connection.state === 'polling', 'polling');
      expect(client.connection.error).to.include({ type: 'network', code: 'stream_failed' });
      expect(streams.open()).to.have.length(0);
      await waitFor(() => last?.state === 'running', 'running, by polling');
      // One timer for the next poll (the interval), one for the stream retry (2 s).
      await waitFor(() => clock.delays.length === 2, 'poll and retry planned');
      expect([...clock.delays].sort()).to.deep.equal([2000, 3000]);

      await clock.advance(3000); // the stream retry fails again, the poll goes out
      await waitFor(() => streams.sources.length === 2 && streams.open().length === 0, 'second stream failed');
      await waitFor(answered(requests, 2), 'the second poll');
      expect(client.connection.state).to.equal('polling');

      await tenant.set({});
      await clock.advance(4000); // the next stream retry, after 4 s, works
      await waitFor(() => client!.connection.state === 'live', 'live again');
      expect(streams.open()).to.have.length(1);
      expect(client.connection.error).to.equal(null);
      // Live: no more polls are planned.
      await waitFor(() => !clock.delays.includes(3000), 'polling stopped');
      const polls = requests.polls().length;
      await release(job!.job_id);
      await waitFor(() => last?.state === 'success', 'success, through the stream');
      expect(requests.polls()).to.have.length(polls);
    });

    it('treats a stream that stays silent for two heartbeat intervals as buffered, and polls', async () => {
      const tenant = await newTenant({ events: 'silent' });
      const clock = new FakeClock();
      const streams = recordingEventSource();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, clock });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      let last: JobSnapshot | undefined;
      client.watch(job!.job_id, (u) => u.type === 'snapshot' && (last = u.snapshot));
      await clock.advance(10);
      await waitFor(() => streams.sources[0]?.readyState === EventSource.OPEN, 'the stream opened');
      await waitFor(() => last?.state === 'running', 'the first fetch');
      expect(client.connection.state).to.not.equal('live');

      await clock.advance(29_999);
      expect(streams.open()).to.have.length(1);
      await clock.advance(1);
      expect(streams.open()).to.have.length(0);
      expect(client.connection.state).to.equal('polling');
      expect(client.connection.error).to.include({ code: 'stream_buffered' });
      await release(job!.job_id);
    });
  });

  describe('when the app lowered the server\'s limits.maxIds', () => {
    it('polls in requests of at most the advertised number of ids, and follows every job to its end', async () => {
      const tenant = await newTenant();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.fewIdsBaseUrl, fetch: requests.fetch, shareAcrossTabs: false });
      const jobs = await enqueueOnServer('test.gated', uniqueTarget(), 5, 'few-ids');
      const states = new Map<string, string>();
      for (const job of jobs) client.watch(job.job_id, (u) => u.type === 'snapshot' && states.set(u.snapshot.job_id, u.snapshot.state));
      await waitFor(() => states.size === 5, 'every job loaded');

      for (const job of jobs) await release(job.job_id);
      await waitFor(() => [...states.values()].every((state) => state === 'success'), 'every job finished');
      // The first poll may name more ids than the server takes: its refusal advertises the limit.
      const later = requests.polls().slice(1);
      for (const poll of later) expect(poll.url.searchParams.get('ids')!.split(',').length).to.be.at.most(3);
      expect(later.every((poll) => poll.status === 200 || poll.status === 304)).to.equal(true);
    });
  });
});
