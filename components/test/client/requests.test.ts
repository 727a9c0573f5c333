import { expect } from '@open-wc/testing';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient, JobUpdate } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('request methods', () => {
    it('enqueue answers at once with the queued job; the same idempotency key gives the same job', async () => {
      const tenant = await newTenant();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: `${tenant.baseUrl}/`, fetch: requests.fetch });
      expect(client.baseUrl).to.equal(tenant.baseUrl);
      const target = uniqueTarget();
      const first = await client.enqueue('test.gated', { note: 'x' }, { target, idempotencyKey: `key-${target}` });
      expect(first.initial_status).to.include({ job_id: first.job_id, kind: 'test.gated', target, state: 'queued' });
      const again = await client.enqueue('test.gated', { note: 'x' }, { target, idempotencyKey: `key-${target}` });
      expect(again.job_id).to.equal(first.job_id);
      expect(requests.requests[0]!.headers.get('idempotency-key')).to.equal(`key-${target}`);
      await release(first.job_id);
    });

    it('get, list, logs and cancel speak the wire contract', async () => {
      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const target = uniqueTarget();
      const [a, b] = await enqueueOnServer('test.gated', target, 2);

      const got = await client.get(a!.job_id);
      expect(got).to.include({ job_id: a!.job_id, state: 'running', phase: 'Waiting for release' });

      const byIds = await client.list({ ids: [a!.job_id, b!.job_id] });
      expect(byIds.jobs.map((j) => j.job_id).sort()).to.deep.equal([a!.job_id, b!.job_id].sort());
      const page = await client.list({ kind: 'test.gated', target, limit: 1, state: undefined });
      expect(page.jobs).to.have.length(1);
      expect(page.next_cursor).to.be.a('string');
      const next = await client.list({ kind: 'test.gated', target, limit: 1, cursor: page.next_cursor! });
      expect(next.jobs).to.have.length(1);
      expect(next.jobs[0]!.job_id).to.not.equal(page.jobs[0]!.job_id);

      const logs = await client.logs(a!.job_id);
      expect(logs.lines.map((l) => l.message)).to.include('Waiting for release');
      expect((await client.logs(a!.job_id, logs.next_after)).lines).to.deep.equal([]);

      const canceled = await client.cancel(b!.job_id);
      expect(canceled.job_id).to.equal(b!.job_id);
      await release(a!.job_id);
    });

    it('lets scope watchers hear an enqueued job at once, from the POST answer', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock });
      const target = uniqueTarget();
      const updates: JobUpdate[] = [];
      client.watchScope({ kind: 'test.gated', target }, (u) => updates.push(u));
      await clock.advance(10);
      await waitFor(() => updates.length === 1, 'empty');
      const { job_id } = await client.enqueue('test.gated', {}, { target });
      // The clock stands still, so no poll runs: the POST answer itself is delivered.
      await waitFor(() => updates.length === 2, 'the queued job');
      expect(updates[1]).to.deep.include({ type: 'snapshot' });
      expect((updates[1] as { snapshot: { job_id: string; state: string } }).snapshot).to.include({ job_id, state: 'queued' });
      await release(job_id);
    });
  });
});
