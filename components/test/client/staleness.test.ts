import { expect } from '@open-wc/testing';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { answered, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';

describe('JobStatusClient', () => {
  let client: JobStatusClient | undefined;
  afterEach(() => client?.close());

  describe('connection.stale and lastUpdateAt', () => {
    it('says stale while polls fail, and when the last update came; clears on the next success', async () => {
      const tenant = await newTenant();
      const clock = new FakeClock();
      const requests = recordingFetch();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null, clock, fetch: requests.fetch });
      expect(client.connection).to.include({ stale: false, lastUpdateAt: null });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      client.watch(job!.job_id, () => {});
      await clock.advance(10);
      await waitFor(answered(requests, 1), 'the first poll');
      await waitFor(() => client!.connection.lastUpdateAt !== null, 'the first poll taken in');
      expect(client.connection.state).to.equal('polling');
      const lastGood = clock.now();
      expect(client.connection).to.include({ stale: false, lastUpdateAt: lastGood });

      const changes: boolean[] = [];
      client.connection.addEventListener('change', () => changes.push(client!.connection.stale));
      await tenant.set({ polls: 'fail' });
      await clock.advance(3000);
      await waitFor(() => client!.connection.stale, 'stale');
      expect(client.connection.state).to.equal('polling');
      expect(client.connection.lastUpdateAt).to.equal(lastGood);
      expect(changes).to.deep.equal([true]);

      await tenant.set({});
      await clock.advance(3000);
      await waitFor(() => !client!.connection.stale, 'fresh again');
      expect(client.connection.lastUpdateAt).to.equal(clock.now());
      expect(changes).to.deep.equal([true, false]);
      await release(job!.job_id);
    });

    it('is not stale while live or paused, and counts stream events as updates', async () => {
      const tenant = await newTenant();
      client = createJobStatusClient({ baseUrl: tenant.baseUrl });
      const [job] = await enqueueOnServer('test.gated', uniqueTarget());
      const before = Date.now();
      const stop = client.watch(job!.job_id, () => {});
      await waitFor(() => client!.connection.state === 'live', 'live');
      expect(client.connection.stale).to.equal(false);
      expect(client.connection.lastUpdateAt).to.be.at.least(before);
      stop();
      await waitFor(() => client!.connection.state === 'paused', 'paused');
      expect(client.connection.stale).to.equal(false);
      await release(job!.job_id);
    });
  });
});
