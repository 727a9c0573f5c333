import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';

/** Makes the page report itself hidden or visible, then tells it, as the browser would. */
function setHidden(hidden: boolean) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => {
    client?.close();
    // Back to the real getters on Document.prototype.
    delete (document as { hidden?: boolean }).hidden;
    delete (document as { visibilityState?: string }).visibilityState;
  });

  /** A live client on a fake clock, watching one busy job. */
  async function liveClient() {
    const tenant = await newTenant();
    const clock = new FakeClock();
    const requests = recordingFetch();
    const streams = recordingEventSource();
    client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, clock, fetch: requests.fetch });
    const [job] = await enqueueOnServer('test.gated', uniqueTarget());
    const heard: JobSnapshot[] = [];
    client.watch(job!.job_id, (u) => u.type === 'snapshot' && heard.push(u.snapshot));
    await clock.advance(10);
    await waitFor(() => client!.connection.state === 'live' && heard.length > 0, 'live');
    await waitFor(() => requests.requests.every((r) => r.status !== undefined), 'requests answered');
    return { clock, requests, streams, job: job!, heard };
  }

  describe('when the page is hidden', () => {
    it('closes the stream and stops every timer within 2 s, and makes no request', async () => {
      const { clock, requests, streams, job } = await liveClient();
      const before = requests.requests.length;
      setHidden(true);
      await clock.advance(999);
      expect(streams.open()).to.have.length(1);
      await clock.advance(1);
      expect(streams.open()).to.have.length(0);
      expect(client!.connection.state).to.equal('paused');
      expect(clock.delays).to.deep.equal([]);
      await clock.advance(10 * 60_000);
      expect(requests.requests).to.have.length(before);
      expect(streams.sources).to.have.length(1);
      await release(job.job_id);
    });

    it('keeps the stream through a hide shorter than the pause delay', async () => {
      const { clock, requests, streams, job } = await liveClient();
      const before = requests.requests.length;
      setHidden(true);
      await clock.advance(500);
      setHidden(false);
      await clock.advance(5000);
      expect(streams.sources).to.have.length(1);
      expect(streams.open()).to.have.length(1);
      expect(requests.requests).to.have.length(before);
      expect(client!.connection.state).to.equal('live');
      await release(job.job_id);
    });
  });

  describe('when the page becomes visible again', () => {
    it('fetches every watched job at once, then resumes the stream from its last event id', async () => {
      const { clock, requests, streams, job, heard } = await liveClient();
      setHidden(true);
      await clock.advance(1000);
      expect(streams.open()).to.have.length(0);
      await release(job.job_id); // the job finishes while nobody looks
      const polls = requests.polls().length;

      setHidden(false);
      await clock.settle(() => requests.polls().length === polls + 1, 'a fetch at once');
      expect(requests.polls().at(-1)!.url.searchParams.get('ids')).to.equal(job.job_id);
      await waitFor(() => heard.at(-1)?.state === 'success', 'success');
      expect(streams.sources).to.have.length(2);
      expect(new URL(streams.sources[1]!.url).searchParams.get('last_event_id')).to.match(/^[A-Za-z0-9_]+-\d+$/);
    });
  });

  describe('on pagehide', () => {
    it('closes the stream and clears every timer at once; pageshow resumes', async () => {
      const { clock, streams, requests, job, heard } = await liveClient();
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      expect(streams.open()).to.have.length(0);
      expect(clock.delays).to.deep.equal([]);
      expect(client!.connection.state).to.equal('paused');

      const polls = requests.polls().length;
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      await clock.settle(() => requests.polls().length === polls + 1, 'a fetch at once');
      expect(streams.open()).to.have.length(1);
      await waitFor(() => client!.connection.state === 'live', 'live again');
      await release(job.job_id);
      await waitFor(() => heard.at(-1)?.state === 'success', 'success');
    });
  });

  describe('when the browser goes offline', () => {
    it('says offline, stops, and fetches at once when back online', async () => {
      const { clock, streams, requests, job, heard } = await liveClient();
      window.dispatchEvent(new Event('offline'));
      expect(client!.connection.state).to.equal('offline');
      expect(streams.open()).to.have.length(0);
      expect(clock.delays).to.deep.equal([]);

      const polls = requests.polls().length;
      window.dispatchEvent(new Event('online'));
      await clock.settle(() => requests.polls().length === polls + 1, 'a fetch at once');
      await waitFor(() => client!.connection.state === 'live', 'live again');
      await release(job.job_id);
      await waitFor(() => heard.at(-1)?.state === 'success', 'success');
    });
  });
});
