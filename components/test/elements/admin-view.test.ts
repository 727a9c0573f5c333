import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/job-detail/job-detail.js';
import '../../src/elements/job-list/job-list.js';
import '../../src/elements/job-status/job-status.js';
import type { JobDetailElement } from '../../src/elements/job-detail/job-detail.component.js';
import type { JobListElement } from '../../src/elements/job-list/job-list.component.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import { inShadow, newTenant, textOf, uniqueTarget, waitFor } from './fixture.js';
import type { Tenant } from './fixture.js';

/** What a demanding admin trips over: a tile stuck loading, a phone, a failure without a why, a time only on hover. */
describe('what the admin sees', () => {
  let tenant: Tenant;
  let target: string;
  beforeEach(async () => {
    tenant = await newTenant();
    target = uniqueTarget();
  });

  describe('<job-status> with nothing to follow yet', () => {
    it('is idle with its empty message, not loading for ever, and follows a job once given one', async () => {
      const el = await fixture<JobStatusElement>(html`<job-status base-url=${tenant.baseUrl} empty-message="Saving a key verifies it at once."></job-status>`);
      await el.updateComplete;
      expect(el.getAttribute('state')).to.equal('idle');
      expect(textOf(inShadow(el, '[part~=message]'))).to.equal('Saving a key verifies it at once.');
      await expect(el).to.be.accessible();
      const job = await tenant.enqueue('test.fail');
      el.jobId = job.job_id;
      await waitFor(() => el.getAttribute('state') === 'failed', 'failed');
      // A failure is in the log, so the quickest failure still leads to its details.
      el.detailsHref = '/jobs/{id}';
      await waitFor(() => !!inShadow(el, '[part~=details-link]'), 'the details link');
    });
  });

  describe('<job-list>', () => {
    const cells = (list: JobListElement) => [...list.shadowRoot!.querySelectorAll<HTMLElement>('tbody tr:first-child > *')];

    it('on a phone, shows each row as a card with every column named and none cut off', async () => {
      await tenant.enqueue('test.fail', { target });
      const list = await fixture<JobListElement>(html`<div style="width: 360px"><job-list base-url=${tenant.baseUrl} target=${target}
        refresh-interval="0"></job-list></div>`).then((div) => div.querySelector('job-list')!);
      await waitFor(() => list.jobs[0]?.state === 'failed', 'a failed row');
      await list.updateComplete;
      const box = list.getBoundingClientRect();
      for (const cell of cells(list)) {
        const rect = cell.getBoundingClientRect();
        expect(rect.right, `${cell.dataset.label} inside the list`).to.be.at.most(box.right + 0.5);
        expect(rect.width, `${cell.dataset.label} visible`).to.be.greaterThan(0);
        expect(getComputedStyle(cell, '::before').content).to.equal(`"${cell.dataset.label}"`);
      }
      const scroller = inShadow(list, '.scroller')!;
      expect(scroller.scrollWidth).to.be.at.most(scroller.clientWidth);
      await expect(list).to.be.accessible();
    });

    it('says on a failed row why it failed, and gives the exact time it started', async () => {
      const job = await tenant.enqueue('test.fail', { target });
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target} refresh-interval="0"></job-list>`);
      await waitFor(() => list.jobs[0]?.state === 'failed', 'a failed row');
      await list.updateComplete;
      expect(textOf(inShadow(list, '[part~=row-error]'))).to.equal('The peer refused the key.');
      const started = cells(list)[6]!;
      const date = new Date(list.jobs[0]!.started_at!);
      // Today: the time alone, the full date on hover, the relative time under it.
      expect(textOf(started.querySelector('time'))).to.equal(new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(date));
      expect(started.querySelector('time')!.getAttribute('title')).to.equal(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }).format(date));
      expect(textOf(started.querySelector('.relative'))).to.equal('now');
      expect(list.jobs[0]!.job_id).to.equal(job.job_id);
    });

    it('reflects its filters and sort to attributes, so a page can keep them in its URL', async () => {
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} refresh-interval="0"></job-list>`);
      const kind = inShadow<HTMLInputElement>(list, 'input[type=search]')!;
      kind.value = 'test.fail';
      kind.dispatchEvent(new Event('change'));
      const state = inShadow<HTMLSelectElement>(list, 'select')!;
      state.value = 'failed';
      state.dispatchEvent(new Event('change'));
      await list.updateComplete;
      expect([list.getAttribute('kind'), list.getAttribute('state')]).to.deep.equal(['test.fail', 'failed']);
    });
  });

  describe('<job-detail>', () => {
    it('gives the exact times, with the relative ones beside them', async () => {
      const job = await tenant.enqueue('test.quick');
      const el = await fixture<JobDetailElement>(html`<job-detail base-url=${tenant.baseUrl} job-id=${job.job_id}></job-detail>`);
      await waitFor(() => el.state === 'success', 'success');
      await el.updateComplete;
      const finished = [...el.shadowRoot!.querySelectorAll('dt')].find((dt) => textOf(dt) === 'Finished')!.nextElementSibling!;
      const date = new Date(el.snapshot!.finished_at!);
      expect(textOf(finished)).to.match(/\(.+\)$/);
      expect(textOf(finished.querySelector('time'))).to.equal(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }).format(date));
    });
  });
});
