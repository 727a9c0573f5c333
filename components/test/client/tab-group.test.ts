import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient, JobStatusClientOptions, JobUpdate } from '../../src/client/index.js';
import { FakeClock } from './fake-clock.js';
import { recordingEventSource, recordingFetch } from './recorders.js';
import { enqueueOnServer, newTenant, release, uniqueTarget } from './test-server.js';
import { waitFor } from './wait-for.js';

const snapshots = (updates: JobUpdate[]) => updates.flatMap((u) => (u.type === 'snapshot' ? [u.snapshot] : []));

/**
 * Two clients on one base URL in one page stand for two tabs: BroadcastChannel and Web
 * Locks treat them as two members of the same group, as they would two tabs.
 */
describe('JobStatusClient shared across tabs', () => {
  const clients: JobStatusClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  const tab = (options: JobStatusClientOptions) => {
    const client = createJobStatusClient(options);
    clients.push(client);
    return client;
  };

  it('holds one stream for every tab, and each tab hears what it watches', async () => {
    const tenant = await newTenant();
    const streams = recordingEventSource();
    const [a, b] = await enqueueOnServer('test.gated', uniqueTarget(), 2);
    const leader = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
    const heardA: JobUpdate[] = [];
    leader.watch(a!.job_id, (u) => heardA.push(u));
    await waitFor(() => leader.connection.state === 'live', 'the leader live');

    const requests = recordingFetch();
    const follower = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, fetch: requests.fetch });
    const heardB: JobUpdate[] = [];
    follower.watch(b!.job_id, (u) => heardB.push(u));
    await waitFor(() => streams.open().length === 1 && streams.open()[0]!.url.includes(b!.job_id), 'one stream for both');
    await waitFor(() => follower.connection.state === 'live', 'the follower mirrors live');

    await release(b!.job_id);
    await waitFor(() => snapshots(heardB).at(-1)?.state === 'success', 'the follower hears success');
    expect(snapshots(heardA).map((s) => s.job_id)).to.deep.equal([a!.job_id]);
    expect(streams.open()).to.have.length(1);
    // The follower's only request loaded its job once; the rest came through the leader.
    expect(requests.requests.map((r) => r.url.searchParams.get('ids'))).to.deep.equal([b!.job_id]);
    await release(a!.job_id);
  });

  it('hands over when the leader closes: the next tab resumes from the group’s last event id', async () => {
    const tenant = await newTenant();
    const streams = recordingEventSource();
    const [job] = await enqueueOnServer('test.twostep', uniqueTarget());
    const leader = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
    leader.watch(job!.job_id, () => {});
    await waitFor(() => leader.connection.state === 'live', 'the leader live');
    const follower = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
    const heard: JobUpdate[] = [];
    follower.watch(job!.job_id, (u) => heard.push(u));
    await waitFor(() => follower.connection.state === 'live' && heard.length > 0, 'the follower live');
    await release(job!.job_id); // step 2: an event with an id reaches both tabs
    await waitFor(() => snapshots(heard).at(-1)?.phase === 'Step 2', 'step 2');
    const leaderStream = streams.open()[0]!;

    leader.close();
    await waitFor(() => streams.open().length === 1 && streams.open()[0] !== leaderStream, 'the follower’s own stream');
    expect(streams.open()[0]!.url).to.include('last_event_id=');
    await release(job!.job_id);
    await waitFor(() => snapshots(heard).at(-1)?.state === 'success', 'success after the hand-over');
    const seqs = snapshots(heard).map((s) => s.seq);
    expect(seqs).to.deep.equal([...new Set(seqs)].sort((x, y) => x - y));
  });

  it('takes over from a leader that stopped saying it is alive (a frozen tab)', async () => {
    const tenant = await newTenant();
    const streams = recordingEventSource();
    const [job] = await enqueueOnServer('test.gated', uniqueTarget());
    // The leader's clock never moves: its timers, its beat included, never fire.
    const frozen = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, clock: new FakeClock() });
    frozen.watch(job!.job_id, () => {});
    await waitFor(() => streams.open().length === 1, 'the frozen leader’s stream');
    const follower = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource });
    const heard: JobUpdate[] = [];
    follower.watch(job!.job_id, (u) => heard.push(u));
    await waitFor(() => streams.open().length === 1 && streams.open()[0] !== streams.sources[0], 'the follower took over');
    await release(job!.job_id);
    await waitFor(() => snapshots(heard).at(-1)?.state === 'success', 'success through the new leader');
    expect(follower.connection.state).to.not.equal('offline');
  });

  it('stops every tab when the group’s polls are refused (403)', async () => {
    const tenant = await newTenant();
    const [job] = await enqueueOnServer('test.gated', uniqueTarget());
    const leader = tab({ baseUrl: tenant.baseUrl, EventSource: null, interval: 2000 });
    leader.watch(job!.job_id, () => {});
    await waitFor(() => leader.connection.state === 'polling', 'the leader polls');
    const requests = recordingFetch();
    const follower = tab({ baseUrl: tenant.baseUrl, EventSource: null, fetch: requests.fetch });
    const heard: JobUpdate[] = [];
    follower.watch(job!.job_id, (u) => heard.push(u));
    await waitFor(() => heard.length === 1, 'the follower’s first snapshot');
    await tenant.set({ auth: '403' });
    await waitFor(() => heard.at(-1)?.type === 'error', 'the follower hears the error', 10_000);
    expect(follower.connection.state).to.equal('offline');
    expect(follower.connection.error).to.include({ status: 403 });
    expect(requests.requests).to.have.length(1); // the follower itself only loaded its job
    await release(job!.job_id);
  });

  it('works alone with shareAcrossTabs: false', async () => {
    const tenant = await newTenant();
    const streams = recordingEventSource();
    const [job] = await enqueueOnServer('test.gated', uniqueTarget());
    for (let i = 0; i < 2; i++) {
      const client = tab({ baseUrl: tenant.baseUrl, EventSource: streams.EventSource, shareAcrossTabs: false });
      client.watch(job!.job_id, () => {});
      await waitFor(() => client.connection.state === 'live', 'live');
    }
    expect(streams.open()).to.have.length(2);
    await release(job!.job_id);
  });

  it('keeps only newer snapshots when a follower hears the same job from its own load and the leader', async () => {
    const tenant = await newTenant();
    const [job] = await enqueueOnServer('test.gated', uniqueTarget());
    const leader = tab({ baseUrl: tenant.baseUrl });
    const follower = tab({ baseUrl: tenant.baseUrl });
    const heard: JobSnapshot[] = [];
    leader.watch(job!.job_id, () => {});
    follower.watch(job!.job_id, (u) => u.type === 'snapshot' && heard.push(u.snapshot));
    await waitFor(() => follower.connection.state === 'live', 'live');
    await release(job!.job_id);
    await waitFor(() => heard.at(-1)?.state === 'success', 'success');
    const seqs = heard.map((s) => s.seq);
    expect(seqs).to.deep.equal([...new Set(seqs)].sort((x, y) => x - y));
  });

  it('forwards nothing over BroadcastChannel while no other tab watches anything', async () => {
    const tenant = await newTenant();
    const [job] = await enqueueOnServer('test.twostep', uniqueTarget());
    // Listens as a tab would, but never speaks: a tab that watches nothing says nothing.
    const channel = new BroadcastChannel(`job-status ${new URL(tenant.baseUrl, location.href)}`);
    const batches: unknown[] = [];
    channel.onmessage = ({ data }) => data.batch && batches.push(data.batch);
    try {
      const leader = tab({ baseUrl: tenant.baseUrl });
      const heard: JobSnapshot[] = [];
      leader.watch(job!.job_id, (u) => u.type === 'snapshot' && heard.push(u.snapshot));
      await waitFor(() => leader.connection.state === 'live' && heard.length > 0, 'live');
      await release(job!.job_id);
      await waitFor(() => heard.at(-1)?.phase === 'Step 2', 'step 2');
      await release(job!.job_id);
      await waitFor(() => heard.at(-1)?.state === 'success', 'success');
      expect(batches).to.deep.equal([]);
    } finally {
      channel.close();
    }
  });

  it('a follower that watched nothing for a while hears every update of what it watches next', async () => {
    const tenant = await newTenant();
    const [a, b] = await enqueueOnServer('test.twostep', uniqueTarget(), 2);
    const leader = tab({ baseUrl: tenant.baseUrl });
    leader.watch(a!.job_id, () => {});
    await waitFor(() => leader.connection.state === 'live', 'the leader live');
    const follower = tab({ baseUrl: tenant.baseUrl });
    const stop = follower.watch(a!.job_id, () => {});
    await waitFor(() => follower.connection.state === 'live', 'the follower mirrors live');
    stop();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the follower tells the group it watches nothing
    const heard: JobSnapshot[] = [];
    follower.watch(b!.job_id, (u) => u.type === 'snapshot' && heard.push(u.snapshot));
    await waitFor(() => heard.length > 0, 'b loaded');
    await release(b!.job_id);
    await waitFor(() => heard.at(-1)?.phase === 'Step 2', 'step 2 through the leader');
    await release(b!.job_id);
    await waitFor(() => heard.at(-1)?.state === 'success', 'success through the leader');
    await release(a!.job_id);
    await release(a!.job_id);
  });
});
