import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/job-list/job-list.js';
import type { JobListElement } from '../../src/elements/job-list/job-list.component.js';
import { inShadow, newTenant, release, textOf, uniqueTarget, waitFor } from './fixture.js';
import type { Tenant } from './fixture.js';

const rows = (list: JobListElement) => [...list.shadowRoot!.querySelectorAll<HTMLTableRowElement>('tbody tr')];
const rowIds = (list: JobListElement) => rows(list).map((tr) => tr.dataset.jobId);
const rowOf = (list: JobListElement, id: string) => list.shadowRoot!.querySelector<HTMLTableRowElement>(`tr[data-job-id="${id}"]`);
const button = (list: JobListElement, text: string) =>
  [...list.shadowRoot!.querySelectorAll('button')].find((b) => textOf(b) === text)!;

/** Enqueues `count` quick jobs one after the other, each created in a later millisecond; newest last. */
async function quickJobs(tenant: Tenant, target: string, count: number) {
  const ids: string[] = [];
  let last = '';
  for (let i = 0; i < count; i++) {
    // Distinct creation times make the expected order unambiguous.
    while (new Date().toISOString() <= last) await new Promise((resolve) => setTimeout(resolve, 1));
    const job = await tenant.enqueue('test.quick', { target });
    ids.push(job.job_id);
    last = job.created_at;
  }
  return ids;
}

describe('<job-list>', () => {
  let tenant: Tenant;
  let target: string;
  beforeEach(async () => {
    tenant = await newTenant();
    target = uniqueTarget();
  });

  it('shows one row per job with label, kind, target, state, progress, actor, started and duration', async () => {
    const [id] = await quickJobs(tenant, target, 1);
    const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
      detail-href="/admin/jobs/{id}"></job-list>`);
    await waitFor(() => rows(list).length === 1 && list.jobs[0]!.state === 'success', 'one finished row');
    const headers = [...list.shadowRoot!.querySelectorAll('thead th')].map((th) => textOf(th));
    expect(headers).to.deep.equal(['Action', 'Kind', 'Target', 'State', 'Progress', 'Started by', 'Started', 'Duration']);
    const cells = [...rows(list)[0]!.children].map((cell) => textOf(cell));
    expect(cells.slice(0, 4)).to.deep.equal(['Quick', 'test.quick', target, 'Succeeded']);
    expect(cells[5]).to.equal('Admin');
    expect(rows(list)[0]!.querySelector('a')!.getAttribute('href')).to.equal(`/admin/jobs/${id}`);
    expect(rows(list)[0]!.querySelectorAll('time')).to.have.length(2);
    await expect(list).to.be.accessible();
    list.theme = 'dark';
    await list.updateComplete;
    expect(getComputedStyle(list).getPropertyValue('--job-status-surface').trim()).to.equal('#161b22');
    await expect(list).to.be.accessible();
  });

  it('keeps filter, sort and page across refreshes, and shows a new job', async () => {
    const ids = await quickJobs(tenant, target, 7);
    const running = await tenant.enqueue('test.gated', { target });
    const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
      page-size="3"></job-list>`);
    await waitFor(() => rows(list).length === 3, 'first page');
    // Filter by state through the control, as an admin would.
    const stateSelect = list.shadowRoot!.querySelector<HTMLSelectElement>('select')!;
    stateSelect.value = 'success';
    stateSelect.dispatchEvent(new Event('change'));
    await waitFor(() => list.state === 'success' && !rowIds(list).includes(running.job_id) && rows(list).length === 3, 'filtered');
    expect(rowIds(list)).to.deep.equal([ids[6], ids[5], ids[4]]);
    button(list, 'Next').click();
    await waitFor(() => rowIds(list)[0] === ids[3], 'page 2');
    expect(rowIds(list)).to.deep.equal([ids[3], ids[2], ids[1]]);
    const before = rows(list);

    const [fresh] = await quickJobs(tenant, target, 1);
    await release(running.job_id);
    await list.refresh();
    await list.updateComplete;
    expect(textOf(inShadow(list, 'nav'))).to.contain('Page 2');
    expect(rowIds(list)).to.deep.equal([ids[3], ids[2], ids[1]]);
    expect(rows(list)).to.deep.equal(before);
    expect(stateSelect.value).to.equal('success');
    expect(list.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=search]')[1]!.value).to.equal(target);

    button(list, 'Previous').click();
    await waitFor(() => rowIds(list)[0] === fresh, 'the new job on top of page 1');
    // The job released meanwhile now matches the filter too.
    expect(rowIds(list)).to.deep.equal([fresh, running.job_id, ids[6]]);
    await expect(list).to.be.accessible();
  });

  it('keeps the oldest-first sort across refreshes', async () => {
    const ids = await quickJobs(tenant, target, 3);
    const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
      sort="created_asc"></job-list>`);
    await waitFor(() => rows(list).length === 3, 'rows');
    expect(rowIds(list)).to.deep.equal(ids);
    const [fresh] = await quickJobs(tenant, target, 1);
    await list.refresh();
    await list.updateComplete;
    expect(rowIds(list)).to.deep.equal([...ids, fresh]);
    const sortSelect = list.shadowRoot!.querySelectorAll<HTMLSelectElement>('select')[1]!;
    expect(sortSelect.value).to.equal('created_asc');
    await expect(list).to.be.accessible();
  });

  it('adds a new job at the top by itself, keeping every row element and the focus', async () => {
    const ids = await quickJobs(tenant, target, 2);
    const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
      detail-href="/jobs/{id}"></job-list>`);
    await waitFor(() => rows(list).length === 2, 'rows');
    const kept = rows(list);
    const link = rowOf(list, ids[0]!)!.querySelector('a')!;
    link.focus();
    const [fresh] = await quickJobs(tenant, target, 1);
    await waitFor(() => rowIds(list)[0] === fresh, 'the new job at the top');
    expect(rows(list).slice(1)).to.deep.equal(kept);
    expect(list.shadowRoot!.activeElement).to.equal(link);
    await expect(list).to.be.accessible();
  });

  it('updates a busy row live, between refreshes', async () => {
    const job = await tenant.enqueue('test.gated', { target });
    const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
     ></job-list>`);
    await waitFor(() => list.jobs[0]?.state === 'running', 'running row');
    const row = rowOf(list, job.job_id)!;
    expect(row.querySelector('[role=progressbar]')!.getAttribute('aria-valuetext')).to.equal('1 of 2 steps');
    await waitFor(() => textOf(inShadow(list, '[part=connection]')) === 'Live', 'live');
    await release(job.job_id);
    await waitFor(() => list.jobs[0]?.state === 'success', 'success row');
    await list.updateComplete;
    expect(rowOf(list, job.job_id)).to.equal(row);
    expect(textOf(row.querySelector('[part~=badge]'))).to.equal('Succeeded');
    await expect(list).to.be.accessible();
  });

  describe('with the stream up', () => {
    /** `GET /` requests of this list so far (the page loads), from the browser's own record. */
    const pageLoads = (t: Tenant) =>
      performance.getEntriesByType('resource').filter((e) => e.name.startsWith(`${t.baseUrl}?`)).length;
    /** The page load, then once more when the stream is live (for what happened in between): then only the stream. */
    const settled = (list: JobListElement) => pageLoads(tenant) === 2 && !list.shadowRoot!.querySelector('.refreshing.on');

    it('adds a job started elsewhere, and updates rows, over the stream alone', async () => {
      const [old] = await quickJobs(tenant, target, 1);
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}></job-list>`);
      await waitFor(() => rows(list).length === 1 && settled(list), 'the page, and the stream live');
      const job = await tenant.enqueue('test.gated', { target });
      await waitFor(() => rowIds(list)[0] === job.job_id && list.jobs[0]!.state === 'running', 'the new job, running');
      await release(job.job_id);
      await waitFor(() => list.jobs[0]!.state === 'success', 'its outcome');
      expect(rowIds(list)).to.deep.equal([job.job_id, old]);
      expect(pageLoads(tenant)).to.equal(2);
      await expect(list).to.be.accessible();
    });

    it('drops a row that leaves the state filter, and adds one that enters it', async () => {
      const first = await tenant.enqueue('test.gated', { target });
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target} state="running"></job-list>`);
      await waitFor(() => rowIds(list).join() === first.job_id && settled(list), 'the page, and the stream live');
      const second = await tenant.enqueue('test.gated', { target });
      await waitFor(() => rowIds(list).join() === [second.job_id, first.job_id].join(), 'the second job, once running');
      await release(first.job_id);
      await waitFor(() => rowIds(list).join() === second.job_id, 'the first job gone when it finished');
      await release(second.job_id);
      await waitFor(() => rows(list).length === 0, 'no running job left');
      expect(pageLoads(tenant)).to.equal(2);
      await expect(list).to.be.accessible();
    });
  });

  describe('while paused', () => {
    it('changes no row, counts new jobs on a button, and shows them when pressed', async () => {
      const ids = await quickJobs(tenant, target, 2);
      const running = await tenant.enqueue('test.gated', { target });
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
       ></job-list>`);
      await waitFor(() => rows(list).length === 3 && list.jobs[0]?.state === 'running', 'rows');
      const pause = button(list, 'Pause live updates');
      pause.click();
      await list.updateComplete;
      // It says what pressing it does next.
      expect(textOf(pause)).to.equal('Resume live updates');
      expect(list.paused).to.equal(true);
      expect(textOf(inShadow(list, '[part=connection]'))).to.equal('Paused');

      await release(running.job_id);
      const [fresh] = await quickJobs(tenant, target, 1);
      await list.refresh();
      await list.updateComplete;
      expect(rowIds(list)).to.deep.equal([running.job_id, ids[1], ids[0]]);
      expect(list.jobs[0]!.state).to.equal('running');
      const badge = inShadow(list, '[part=new-jobs]')!;
      expect(textOf(badge)).to.equal('1 new job');
      expect(textOf(inShadow(list, '[role=status]'))).to.contain('1 new job');
      await expect(list).to.be.accessible();

      badge.click();
      await list.updateComplete;
      expect(rowIds(list)).to.deep.equal([fresh, running.job_id, ids[1], ids[0]]);
      expect(list.jobs[1]!.state).to.equal('success');
      expect(inShadow(list, '[part=new-jobs]')).to.equal(null);
      expect(list.shadowRoot!.activeElement).to.equal(inShadow(list, 'table'));

      pause.click();
      await list.updateComplete;
      expect(list.paused).to.equal(false);
      expect(textOf(pause)).to.equal('Pause live updates');
    });
  });

  describe('while the admin is scrolled', () => {
    it('updates rows in place and holds new jobs back on the badge', async () => {
      const ids = await quickJobs(tenant, target, 12);
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target}
        style="--job-status-list-max-height: 8rem"></job-list>`);
      await waitFor(() => rows(list).length === 12, 'rows');
      const scroller = inShadow(list, '.scroller')!;
      scroller.scrollTop = 100;
      expect(scroller.scrollTop).to.be.greaterThan(0);
      const [fresh] = await quickJobs(tenant, target, 1);
      await list.refresh();
      await list.updateComplete;
      expect(rowIds(list)).to.deep.equal([...ids].reverse());
      expect(textOf(inShadow(list, '[part=new-jobs]'))).to.equal('1 new job');
      // Back at the top, the next refresh adds it.
      scroller.scrollTop = 0;
      await list.refresh();
      await list.updateComplete;
      expect(rowIds(list)[0]).to.equal(fresh);
      expect(inShadow(list, '[part=new-jobs]')).to.equal(null);
      await expect(list).to.be.accessible();
    });
  });

  describe('connection indicator', () => {
    it('says polling when the stream is unavailable', async () => {
      const polling = await newTenant({ events: 'fail' });
      await polling.enqueue('test.gated', { target });
      const list = await fixture<JobListElement>(html`<job-list base-url=${polling.baseUrl} target=${target}
       ></job-list>`);
      await waitFor(() => textOf(inShadow(list, '[part=connection]')) === 'Polling', 'polling');
      await expect(list).to.be.accessible();
      for (const job of list.jobs) await release(job.job_id);
    });

    it('says reconnecting when the page cannot be fetched', async () => {
      const failing = await newTenant({ polls: 'fail' });
      const list = await fixture<JobListElement>(html`<job-list base-url=${failing.baseUrl}></job-list>`);
      await waitFor(() => textOf(inShadow(list, '[part=connection]')) === 'Reconnecting', 'reconnecting');
      expect(textOf(inShadow(list, '[part=error]'))).to.contain('Could not load the jobs.');
      await expect(list).to.be.accessible();
    });
  });
});
