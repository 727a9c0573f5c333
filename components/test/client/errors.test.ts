import { expect } from '@open-wc/testing';
import { createJobStatusClient, JobStatusError } from '../../src/client/index.js';
import type { JobStatusClient, JobUpdate } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, hide, newTenant, release, serverUrl, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';

async function rejection(promise: Promise<unknown>): Promise<JobStatusError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(JobStatusError);
    return error as JobStatusError;
  }
  throw new Error('expected the promise to reject');
}

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('errors of requests', () => {
    it('are typed http errors carrying the server\'s code and message', async () => {
      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const missing = await rejection(client.get(crypto.randomUUID()));
      expect(missing).to.include({ type: 'http', status: 404, code: 'not_found', name: 'JobStatusError' });
      expect(missing.message).to.match(/^id: no job /);

      const unknownKind = await rejection(client.enqueue('no.such.kind'));
      expect(unknownKind).to.include({ type: 'http', status: 400, code: 'unknown_kind' });

      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      let state = '';
      client.watch(job!.job_id, (u) => u.type === 'snapshot' && (state = u.snapshot.state));
      await release(job!.job_id);
      await waitFor(() => state === 'success', 'success');
      const conflict = await rejection(client.cancel(job!.job_id));
      expect(conflict).to.include({ type: 'http', status: 409, code: 'already_finished' });
    });

    it('are network errors when nothing answers, parse errors for a body that is not JSON, aborted when aborted', async () => {
      const offline = createJobStatusClient({ baseUrl: 'http://127.0.0.1:9/jobs' });
      expect(await rejection(offline.list())).to.include({ type: 'network', status: null, code: null });

      const html = createJobStatusClient({ baseUrl: `${serverUrl}/html/jobs` });
      expect(await rejection(html.get(crypto.randomUUID()))).to.include({ type: 'parse', status: null });

      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const controller = new AbortController();
      controller.abort();
      expect(await rejection(client.list({}, { signal: controller.signal }))).to.include({ type: 'aborted' });
    });
  });

  describe('when a watched job does not exist', () => {
    it('tells its listeners it is gone', async () => {
      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const id = crypto.randomUUID();
      const updates: JobUpdate[] = [];
      client.watch(id, (u) => updates.push(u));
      await waitFor(() => updates.length > 0, 'an update');
      expect(updates).to.deep.equal([{ type: 'gone', jobId: id }]);
      await waitFor(() => client!.connection.state === 'paused', 'nothing left to do');
    });

    it('tells its listeners when a job disappears while polled', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      const updates: JobUpdate[] = [];
      client.watch(job!.job_id, (u) => updates.push(u));
      await clock.advance(10);
      await waitFor(() => updates.length === 1 && clock.delays.length === 1, 'a snapshot');
      expect(updates[0]!.type).to.equal('snapshot');

      await hide(job!.job_id);
      await clock.advance(3000);
      await waitFor(() => updates.length === 2, 'gone');
      expect(updates[1]).to.deep.equal({ type: 'gone', jobId: job!.job_id });
      await waitFor(() => clock.delays.length === 0, 'no more polls');
      await release(job!.job_id);
    });

    it('tells the listeners of a scope showing it, too', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock });
      const target = uniqueTarget();
      const [job] = await enqueueOnServer('test.gated', target);
      const byId: JobUpdate[] = [];
      const byScope: JobUpdate[] = [];
      client.watch(job!.job_id, (u) => byId.push(u));
      client.watchScope({ kind: 'test.gated', target }, (u) => byScope.push(u));
      await clock.advance(10);
      await waitFor(() => byId.length === 1 && byScope.length === 1, 'a snapshot each');
      expect(byScope[0]!.type).to.equal('snapshot');

      await hide(job!.job_id);
      await clock.advance(3000);
      await waitFor(() => byId.length === 2 && byScope.at(-1)?.type === 'gone', 'gone, by id and by scope');
      expect(byScope.at(-1)).to.deep.equal({ type: 'gone', jobId: job!.job_id });
      await release(job!.job_id);
    });
  });

  describe('when the server refuses the caller', () => {
    for (const status of [401, 403] as const) {
      it(`stops retrying on ${status} and says so`, async () => {
        const tenant = await newTenant({ auth: String(status) as '401' | '403' });
        const clock = new FakeClock();
        const requests = recordingFetch();
        const streams = recordingEventSource();
        client = createJobStatusClient({ baseUrl: tenant.baseUrl, clock, fetch: requests.fetch, EventSource: streams.EventSource });
        const updates: JobUpdate[] = [];
        const id = crypto.randomUUID();
        client.watch(id, (u) => updates.push(u));
        await clock.advance(10);
        await waitFor(() => updates.length > 0, 'an update');
        expect(updates).to.have.length(1);
        const [update] = updates;
        expect(update!.type).to.equal('error');
        const error = (update as { error: JobStatusError }).error;
        expect(error).to.include({ type: 'http', status, code: status === 401 ? 'unauthorized' : 'forbidden' });
        expect(client.connection.state).to.equal('offline');
        expect(client.connection.error).to.equal(error);
        expect(streams.open()).to.have.length(0);
        expect(clock.delays).to.deep.equal([]);

        const count = requests.requests.length;
        await clock.advance(10 * 60_000);
        expect(requests.requests).to.have.length(count);
      });
    }

    it('stops a client that was polling when the caller loses access', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      const updates: JobUpdate[] = [];
      client.watch(job!.job_id, (u) => updates.push(u));
      await clock.advance(10);
      await waitFor(() => updates.length === 1 && clock.delays.length === 1, 'a snapshot');

      await tenant.set({ auth: '403' });
      await clock.advance(3000);
      await waitFor(() => updates.length === 2, 'the error');
      expect(updates[1]).to.deep.include({ type: 'error' });
      expect(client.connection.state).to.equal('offline');
      expect(clock.delays).to.deep.equal([]);
      await release(job!.job_id);
    });
  });
});
