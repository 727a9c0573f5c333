import { expect, fixture, html } from '@open-wc/testing';
import { nothing } from 'lit';
import '../../src/elements/all.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import type { JobStatusProviderElement } from '../../src/elements/job-status-provider/job-status-provider.component.js';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createJobStatusClient } from '../../src/client/index.js';
import { JobListController } from '../../src/controllers/job-list-controller.js';
import { LogTailController } from '../../src/controllers/log-tail-controller.js';
import { PollInterval } from '../../src/internal/poll-interval.js';
import { SequentialPoller } from '../../src/internal/sequential-poller.js';
import { FakeClock } from '../client/fake-clock.js';
import { newTenant, release, uniqueTarget, waitFor } from './fixture.js';

/** After the 1st, 2nd, ... failure in a row, with a 5 s interval: the dashboard rules. */
const BACKOFF_5S = [5000, 5000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000];

/** A host for a controller outside any element: it records re-render requests. */
function host() {
  const controllers: ReactiveController[] = [];
  const h = {
    updates: 0,
    addController: (c: ReactiveController) => void controllers.push(c),
    removeController: () => {},
    requestUpdate: () => void h.updates++,
    updateComplete: Promise.resolve(true),
    connect: () => controllers.forEach((c) => c.hostConnected?.()),
    disconnect: () => controllers.forEach((c) => c.hostDisconnected?.()),
  };
  return h as typeof h & ReactiveControllerHost;
}

/** Captures `console.warn` while `body` runs. */
async function warnings(body: () => unknown): Promise<string[]> {
  const seen: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void seen.push(args.join(' '));
  try {
    await body();
  } finally {
    console.warn = original;
  }
  return seen;
}

/** A `fetch` that counts the requests whose URL matches `pattern`. */
function countingFetch(pattern: RegExp) {
  const counter = { count: 0, fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
    if (pattern.test(String(input))) counter.count++;
    return fetch(input, init);
  }) as typeof fetch };
  return counter;
}

describe('polling rules', () => {
  describe('PollInterval', () => {
    it('uses the default when none is set, silently', async () => {
      const interval = new PollInterval('<job-list> refresh-interval', 5000);
      expect(await warnings(() => expect(interval.read(null)).to.equal(5000))).to.deep.equal([]);
      expect(await warnings(() => expect(interval.read(undefined)).to.equal(5000))).to.deep.equal([]);
    });

    it('keeps values inside 2–60 s as they are', async () => {
      const interval = new PollInterval('<job-list> refresh-interval', 5000);
      const seen = await warnings(() => {
        expect(interval.read(2000)).to.equal(2000);
        expect(interval.read(60_000)).to.equal(60_000);
        expect(interval.read('7500')).to.equal(7500);
      });
      expect(seen).to.deep.equal([]);
    });

    it('turns a value that is not a number into the default, and says so once', async () => {
      const interval = new PollInterval('<job-list> refresh-interval', 5000);
      const seen = await warnings(() => {
        expect(interval.read('abc')).to.equal(5000);
        expect(interval.read('abc')).to.equal(5000);
        // What `type: Number` makes of the attribute "abc".
        expect(interval.read(NaN)).to.equal(5000);
        expect(interval.read(NaN)).to.equal(5000);
      });
      expect(seen).to.have.length(2);
      expect(seen[0]).to.contain('<job-list> refresh-interval="abc" is not a number; using 5000 ms');
    });

    it('turns a value out of range into the nearest bound, and says so once', async () => {
      const interval = new PollInterval('<job-list> refresh-interval', 5000);
      const seen = await warnings(() => {
        expect(interval.read(500)).to.equal(2000);
        expect(interval.read(500)).to.equal(2000);
        expect(interval.read(0)).to.equal(2000);
        expect(interval.read(-1)).to.equal(2000);
        expect(interval.read(600_000)).to.equal(60_000);
      });
      expect(seen).to.have.length(4);
      expect(seen[0]).to.contain('refresh-interval="500" is out of range; using 2000 ms');
      expect(seen[3]).to.contain('using 60000 ms');
    });
  });

  describe('SequentialPoller', () => {
    /** A poller whose runs succeed or fail as `outcome` says, each answering at once. */
    function poller(interval = 5000) {
      const clock = new FakeClock();
      const state = { runs: 0, fail: true };
      const p = new SequentialPoller(
        async () => {
          state.runs++;
          if (state.fail) throw new Error('down');
        },
        { interval, clock },
      );
      /** Moves the clock to the planned run and waits for its answer; returns the delay it waited. */
      const next = async () => {
        const [delay] = clock.delays;
        const runs = state.runs;
        await clock.advance(delay!);
        await waitFor(() => state.runs === runs + 1 && !p.running && clock.delays.length === 1, 'the next run');
        return delay;
      };
      return { clock, state, poller: p, next };
    }

    it('runs every interval while runs succeed, and plans nothing while not periodic', async () => {
      const { clock, state, poller: p, next } = poller();
      state.fail = false;
      expect(clock.delays).to.deep.equal([]);
      p.periodic = true;
      expect(clock.delays).to.deep.equal([5000]);
      expect([await next(), await next()]).to.deep.equal([5000, 5000]);
      p.periodic = false;
      expect(clock.delays).to.deep.equal([]);
      await clock.advance(600_000);
      expect(state.runs).to.equal(2);
    });

    it('backs off to 10 s after 3 failures in a row, doubling up to 2 min, and is back to normal on the first success', async () => {
      const { state, poller: p, next } = poller();
      p.periodic = true;
      const delays = [];
      for (let i = 0; i < 8; i++) delays.push(await next());
      // The first delay is the interval; then one per failure so far.
      expect(delays).to.deep.equal([5000, ...BACKOFF_5S.slice(0, 7)]);
      expect(p.failures).to.equal(8);
      expect(p.delay).to.equal(120_000);
      state.fail = false;
      expect(await next()).to.equal(120_000);
      expect(p.failures).to.equal(0);
      expect(await next()).to.equal(5000);
    });

    it('never waits less than its interval while backing off', async () => {
      const { poller: p, next } = poller(60_000);
      p.periodic = true;
      const delays = [];
      for (let i = 0; i < 7; i++) delays.push(await next());
      expect(delays).to.deep.equal([60_000, 60_000, 60_000, 60_000, 60_000, 60_000, 80_000]);
    });

    it('never runs twice at a time: a run asked for meanwhile follows the one in flight', async () => {
      const clock = new FakeClock();
      let open = () => {};
      let runs = 0;
      const p = new SequentialPoller(
        () => {
          runs++;
          return new Promise<void>((resolve) => (open = resolve));
        },
        { interval: 5000, clock },
      );
      p.periodic = true;
      const first = p.run();
      void p.run();
      void p.run();
      // A run in flight plans nothing: the clock cannot start another.
      await clock.advance(60_000);
      expect(runs).to.equal(1);
      open();
      await waitFor(() => runs === 2, 'the run asked for meanwhile');
      open();
      await first;
      expect(runs).to.equal(2);
      expect(clock.delays).to.deep.equal([5000]);
    });

    it('restarts: the run in flight is aborted and counts for nothing', async () => {
      const clock = new FakeClock();
      const signals: AbortSignal[] = [];
      const p = new SequentialPoller(
        (signal) => {
          signals.push(signal);
          return signals.length === 1 ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) : Promise.resolve();
        },
        { interval: 5000, clock },
      );
      void p.run();
      await p.run({ restart: true });
      expect(signals[0]!.aborted).to.equal(true);
      expect(p.failures).to.equal(0);
    });
  });

  describe('<job-list> fallback polling (JobListController)', () => {
    it('polls by the rules while the stream is down, backs off while fetches fail, and resets on success', async () => {
      const tenant = await newTenant({ events: 'fail', polls: 'fail' });
      const clock = new FakeClock();
      const pages = countingFetch(/\/jobs\/?\?(?!ids=)/);
      const client = createJobStatusClient({ baseUrl: tenant.baseUrl, clock, fetch: pages.fetch, EventSource: null });
      const h = host();
      const list = new JobListController(h, { clock });
      h.connect();
      list.follow(client, { target: uniqueTarget() }, undefined);
      const next = async () => {
        await waitFor(() => !list.refreshing && clock.delays.length > 0, 'a planned poll');
        const delay = list.pollDelay;
        const before = pages.count;
        await clock.advance(delay);
        await waitFor(() => pages.count === before + 1 && !list.refreshing, 'the poll');
        return delay;
      };
      await waitFor(() => list.error !== null, 'the first fetch to fail');
      const delays = [];
      for (let i = 0; i < 7; i++) delays.push(await next());
      expect(delays).to.deep.equal(BACKOFF_5S.slice(0, 7));
      expect(list.error!.status).to.equal(503);
      await tenant.set({ events: 'fail', polls: 'ok' });
      await next();
      await waitFor(() => list.error === null, 'a success');
      expect(list.pollDelay).to.equal(5000);
      expect(await next()).to.equal(5000);
      h.disconnect();
      const after = pages.count;
      await clock.advance(600_000);
      expect(pages.count).to.equal(after);
      client.close();
    });

    it('reads its interval by the rules: default, bounds, invalid values', async () => {
      const tenant = await newTenant({ events: 'fail' });
      const client = createJobStatusClient({ baseUrl: tenant.baseUrl, EventSource: null });
      const list = new JobListController(host(), { clock: new FakeClock(), intervalName: '<job-list> refresh-interval' });
      const seen = await warnings(() => {
        list.follow(client, {}, null);
        expect(list.pollDelay).to.equal(5000);
        list.follow(client, {}, NaN);
        expect(list.pollDelay).to.equal(5000);
        list.follow(client, {}, 500);
        expect(list.pollDelay).to.equal(2000);
        list.follow(client, {}, 3_600_000);
        expect(list.pollDelay).to.equal(60_000);
        list.follow(client, {}, 10_000);
        expect(list.pollDelay).to.equal(10_000);
      });
      expect(seen).to.have.length(3);
      expect(seen[0]).to.contain('<job-list> refresh-interval="NaN" is not a number');
      client.close();
    });
  });

  describe('<job-detail> log tail (LogTailController)', () => {
    it('polls a busy job’s log by the rules while the stream is down, and stops when the job is done', async () => {
      const tenant = await newTenant({ events: 'fail' });
      const job = await tenant.enqueue('test.logs', { input: { lines: 2, rounds: 1 } });
      const clock = new FakeClock();
      const logs = countingFetch(/\/logs\?/);
      const client = createJobStatusClient({ baseUrl: tenant.baseUrl, clock, fetch: logs.fetch, EventSource: null, interval: 2000 });
      const h = host();
      const tail = new LogTailController(h, { clock });
      h.connect();
      tail.follow(client, job.job_id);
      tail.busy = true;
      await waitFor(() => tail.lines.length === 2 && logs.count === 1, 'the first lines');
      await tenant.set({ events: 'fail', polls: 'fail' });
      const next = async () => {
        const delay = tail.pollDelay;
        const before = logs.count;
        await clock.advance(delay);
        // Answered: the next look is planned.
        await waitFor(() => logs.count === before + 1 && clock.delays.length === 1, 'the poll');
        return delay;
      };
      const delays = [];
      for (let i = 0; i < 5; i++) delays.push(await next());
      expect(delays).to.deep.equal([2000, 2000, 2000, 10_000, 20_000]);
      expect(tail.error!.status).to.equal(503);
      await tenant.set({ events: 'fail', polls: 'ok' });
      await release(job.job_id);
      await clock.advance(tail.pollDelay);
      await waitFor(() => tail.lines.length === 4 && tail.error === null, 'the new lines');
      expect(tail.pollDelay).to.equal(2000);
      expect(tail.lines.map((line) => line.seq)).to.deep.equal([1, 2, 3, 4]);
      tail.busy = false;
      const after = logs.count;
      await clock.advance(600_000);
      expect(logs.count).to.equal(after);
      h.disconnect();
      client.close();
    });
  });

  describe('tiles (<job-status-provider> interval, and the client it gives <job-status>)', () => {
    it('reads the interval by the rules: default, bounds, invalid values', async () => {
      const tenant = await newTenant();
      const intervals: number[] = [];
      const seen = await warnings(async () => {
        for (const value of [undefined, '4000', 'abc', '500', '999999']) {
          const provider = await fixture<JobStatusProviderElement>(
            html`<job-status-provider base-url=${tenant.baseUrl} interval=${value ?? nothing}></job-status-provider>`,
          );
          intervals.push(provider.client!.interval);
          provider.remove();
        }
      });
      expect(intervals).to.deep.equal([3000, 4000, 3000, 2000, 60_000]);
      expect(seen).to.have.length(3);
      expect(seen[0]).to.contain('<job-status-provider> interval="NaN" is not a number; using 3000 ms');
      expect(seen[1]).to.contain('interval="500" is out of range; using 2000 ms');
    });

    it('polls a tile’s job every interval while the stream is down, backs off while polls fail, and resets on success', async () => {
      const tenant = await newTenant({ events: 'fail' });
      const job = await tenant.enqueue('test.gated');
      await tenant.set({ events: 'fail', polls: 'fail' });
      const clock = new FakeClock();
      const polls = countingFetch(/\?ids=/);
      const client = createJobStatusClient({ baseUrl: tenant.baseUrl, clock, fetch: polls.fetch, EventSource: null });
      const tile = await fixture<JobStatusElement>(html`<job-status .client=${client} job-id=${job.job_id}></job-status>`);
      // Past the client's debounce: the first poll goes out at once.
      await clock.advance(10);
      await clock.settle(() => polls.count === 1 && clock.delays.length === 1, 'the first poll to fail');
      const next = async () => {
        const [delay] = clock.delays;
        const before = polls.count;
        await clock.advance(delay!);
        await clock.settle(() => polls.count === before + 1 && clock.delays.length === 1, 'the poll');
        return delay;
      };
      const delays = [];
      for (let i = 0; i < 6; i++) delays.push(await next());
      expect(delays).to.deep.equal([3000, 3000, 10_000, 20_000, 40_000, 80_000]);
      await tenant.set({ events: 'fail', polls: 'ok' });
      expect(await next()).to.equal(120_000);
      await waitFor(() => tile.state === 'running', 'the tile to show the job');
      expect(await next()).to.equal(3000);
      await release(job.job_id);
      await clock.advance(3000);
      await waitFor(() => tile.state === 'success', 'the tile to show the outcome');
      client.close();
    });
  });
});
