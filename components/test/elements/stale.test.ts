import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/all.js';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusClient } from '../../src/client/index.js';
import type { JobDetailElement } from '../../src/elements/job-detail/job-detail.component.js';
import type { JobListElement } from '../../src/elements/job-list/job-list.component.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import type { JobTriggerElement } from '../../src/elements/job-trigger/job-trigger.component.js';
import { inShadow, newTenant, release, textOf, uniqueTarget, waitFor } from './fixture.js';

/**
 * A tenant whose stream is switched off, so the client polls (every 2 s), and a running
 * job on it. `down()` makes every poll fail too: updates can no longer be had.
 */
async function withoutStream() {
  const tenant = await newTenant({ events: 'fail' });
  const target = uniqueTarget();
  const job = await tenant.enqueue('test.gated', { target });
  const client = createJobStatusClient({ baseUrl: tenant.baseUrl, interval: 2000 });
  return {
    tenant,
    target,
    job,
    client,
    down: () => tenant.set({ events: 'fail', polls: 'fail' }),
    up: () => tenant.set({ events: 'fail', polls: 'ok' }),
  };
}

/** The duration a running job shows when it stops at the client's last update, as `<time datetime>`. */
const frozenDuration = (client: JobStatusClient, startedAt: string) =>
  `PT${((client.connection.lastUpdateAt! - Date.parse(startedAt)) / 1000).toFixed(3)}S`;

const staleNote = (root: Element) => root.shadowRoot!.querySelector<HTMLElement>('[part=stale]');

/** What every element shows while stale: the words, and the last update as a `<time>`. */
function expectStaleNote(note: HTMLElement | null, client: JobStatusClient) {
  expect(note, 'the stale note').to.not.equal(null);
  expect(textOf(note)).to.match(/^Reconnecting… Last update /);
  expect(note!.querySelector('time')!.getAttribute('datetime')).to.equal(new Date(client.connection.lastUpdateAt!).toISOString());
}

describe('when updates are stale', () => {
  let setup: Awaited<ReturnType<typeof withoutStream>>;
  beforeEach(async () => {
    setup = await withoutStream();
  });
  afterEach(async () => {
    await setup.up();
    await release(setup.job.job_id);
    setup.client.close();
  });

  describe('<job-status>', () => {
    it('says "Reconnecting…" with the last update, stops the duration, and clears on recovery', async () => {
      const { client, job } = setup;
      const tile = await fixture<JobStatusElement>(html`<job-status .client=${client} job-id=${job.job_id}></job-status>`);
      await waitFor(() => tile.state === 'running' && tile.snapshot!.started_at !== null, 'running');
      await tile.updateComplete;
      expect(tile.hasAttribute('stale')).to.equal(false);
      expect(staleNote(tile)).to.equal(null);

      await setup.down();
      await waitFor(() => tile.hasAttribute('stale'), 'the tile to say it is stale');
      expectStaleNote(staleNote(tile), client);
      const duration = tile.shadowRoot!.querySelector('[part=times] > div:last-child time')!;
      expect(duration.getAttribute('datetime')).to.equal(frozenDuration(client, tile.snapshot!.started_at!));
      expect(tile.state).to.equal('running');
      await expect(tile).to.be.accessible();

      tile.strings = { reconnecting: 'Reconnexion…', lastUpdate: 'Dernière mise à jour' };
      await tile.updateComplete;
      expect(textOf(staleNote(tile))).to.match(/^Reconnexion… Dernière mise à jour /);

      await setup.up();
      await waitFor(() => !tile.hasAttribute('stale'), 'the tile to recover');
      expect(staleNote(tile)).to.equal(null);
      await expect(tile).to.be.accessible();
    });
  });

  describe('<job-trigger>', () => {
    it('shows it in its own tile, and reflects it', async () => {
      const { client, target } = setup;
      const trigger = await fixture<JobTriggerElement>(html`<job-trigger .client=${client} kind="test.gated" target=${target}>
        <button type="button">Run</button>
      </job-trigger>`);
      const tile = inShadow<JobStatusElement>(trigger, 'job-status')!;
      await waitFor(() => tile.state === 'running' && trigger.busy, 'the running job');
      await setup.down();
      await waitFor(() => trigger.hasAttribute('stale') && !!staleNote(tile), 'the trigger to say it is stale');
      expectStaleNote(staleNote(tile), client);
      await expect(trigger).to.be.accessible();
      await setup.up();
      await waitFor(() => !trigger.hasAttribute('stale') && !staleNote(tile), 'the trigger to recover');
      await expect(trigger).to.be.accessible();
    });
  });

  describe('<job-detail>', () => {
    it('says and announces "Reconnecting…", stops the duration, and clears on recovery', async () => {
      const { client, job } = setup;
      const detail = await fixture<JobDetailElement>(html`<job-detail .client=${client} job-id=${job.job_id}></job-detail>`);
      await waitFor(() => detail.state === 'running' && detail.logLines.length === 1, 'running, with its log');
      await setup.down();
      await waitFor(() => detail.hasAttribute('stale'), 'the detail to say it is stale');
      expectStaleNote(staleNote(detail), client);
      expect(textOf(inShadow(detail, '[role=status]'))).to.equal('Reconnecting…');
      const dt = [...detail.shadowRoot!.querySelectorAll('dt')].find((d) => textOf(d) === 'Duration')!;
      expect(dt.nextElementSibling!.querySelector('time')!.getAttribute('datetime')).to.equal(
        frozenDuration(client, detail.snapshot!.started_at!),
      );
      await expect(detail).to.be.accessible();
      await setup.up();
      await waitFor(() => !detail.hasAttribute('stale'), 'the detail to recover');
      expect(staleNote(detail)).to.equal(null);
      await expect(detail).to.be.accessible();
    });
  });

  describe('<job-list>', () => {
    it('says "Reconnecting…" with the last update in place of the indicator, stops durations, and clears on recovery', async () => {
      const { client, job, target } = setup;
      const list = await fixture<JobListElement>(html`<job-list .client=${client} target=${target} refresh-interval="2000"></job-list>`);
      await waitFor(() => list.jobs[0]?.state === 'running', 'the running row');
      await waitFor(() => textOf(inShadow(list, '[part=connection]')) === 'Polling', 'polling');
      await setup.down();
      await waitFor(() => list.hasAttribute('stale'), 'the list to say it is stale');
      await list.updateComplete;
      const note = staleNote(list);
      expect(textOf(note)).to.match(/^Reconnecting… Last update /);
      expect(inShadow(list, '[part=connection]')).to.equal(null);
      const row = list.shadowRoot!.querySelector(`tr[data-job-id="${job.job_id}"]`)!;
      const shown = Date.parse(note!.querySelector('time')!.getAttribute('datetime')!);
      expect(row.lastElementChild!.querySelector('time')!.getAttribute('datetime')).to.equal(
        `PT${((shown - Date.parse(list.jobs[0]!.started_at!)) / 1000).toFixed(3)}S`,
      );
      await expect(list).to.be.accessible();
      await setup.up();
      await waitFor(() => !list.hasAttribute('stale'), 'the list to recover');
      await list.updateComplete;
      expect(staleNote(list)).to.equal(null);
      expect(textOf(inShadow(list, '[part=connection]'))).to.equal('Polling');
      await expect(list).to.be.accessible();
    });
  });
});
