import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/job-detail/job-detail.js';
import type { JobDetailElement } from '../../src/elements/job-detail/job-detail.component.js';
import { hide, inShadow, newTenant, release, textOf, waitFor } from './fixture.js';
import type { Tenant } from './fixture.js';

const lines = (el: JobDetailElement) => [...el.shadowRoot!.querySelectorAll<HTMLLIElement>('[part=log] li')];
const field = (el: JobDetailElement, term: string) => {
  const dt = [...el.shadowRoot!.querySelectorAll('dt')].find((d) => textOf(d) === term);
  return dt?.nextElementSibling as HTMLElement | undefined;
};
const detail = (tenant: Tenant, jobId: string) =>
  fixture<JobDetailElement>(html`<job-detail base-url=${tenant.baseUrl} job-id=${jobId}></job-detail>`);

describe('<job-detail>', () => {
  let tenant: Tenant;
  beforeEach(async () => {
    tenant = await newTenant();
  });

  it('shows everything about the job and appends new log lines without redrawing the old ones', async () => {
    const job = await tenant.enqueue('test.logs', { target: 'peer-a', input: { lines: 3, rounds: 2 } });
    const el = await detail(tenant, job.job_id);
    await waitFor(() => lines(el).length === 3, '3 lines');
    expect(el.state).to.equal('running');
    expect(textOf(inShadow(el, '[part=label]'))).to.equal('Logs');
    expect(textOf(field(el, 'Kind'))).to.equal('test.logs');
    expect(textOf(field(el, 'Target'))).to.equal('peer-a');
    expect(textOf(field(el, 'Started by'))).to.equal('Admin');
    expect(textOf(field(el, 'Job ID'))).to.equal(job.job_id);
    expect(field(el, 'Queued')!.querySelector('time')!.getAttribute('datetime')).to.equal(job.created_at);
    expect(textOf(inShadow(el, '[part=phase]'))).to.equal('Round 0');
    const first = lines(el);
    expect(first.map((li) => li.dataset.seq)).to.deep.equal(['1', '2', '3']);
    expect(textOf(first[0]!.lastElementChild)).to.equal('line 1');
    await expect(el).to.be.accessible();

    await release(job.job_id);
    await waitFor(() => lines(el).length === 6, '6 lines');
    // The first three are the very same elements: only new lines were added.
    expect(lines(el).slice(0, 3)).to.deep.equal(first);
    expect(lines(el).map((li) => li.dataset.seq)).to.deep.equal(['1', '2', '3', '4', '5', '6']);
    expect(lines(el)[4]!.dataset.level).to.equal('warn');

    await release(job.job_id);
    await waitFor(() => el.state === 'success', 'success');
    await waitFor(() => lines(el).length === 9, '9 lines');
    expect(lines(el).slice(0, 3)).to.deep.equal(first);
    expect(textOf(inShadow(el, '[part=message]'))).to.equal('9 lines');
    expect(field(el, 'Finished')!.querySelector('time')).to.not.equal(null);
    expect(inShadow(el, '[part=cancel]')).to.equal(null);
    // Any request (before the stream is up) asked only for the lines after the last one held.
    const asked = performance
      .getEntriesByType('resource')
      .filter((entry) => entry.name.includes(`/${job.job_id}/logs?`))
      .map((entry) => Number(new URL(entry.name).searchParams.get('after')));
    expect(asked[0]).to.equal(0);
    expect(asked).to.deep.equal([...new Set(asked)].sort((a, b) => a - b));
    await expect(el).to.be.accessible();
  });

  it('without a stream, polls only the lines after the last one held', async () => {
    const polling = await newTenant({ events: 'fail' });
    const job = await polling.enqueue('test.logs', { input: { lines: 3, rounds: 2 } });
    const el = await detail(polling, job.job_id);
    await waitFor(() => lines(el).length === 3, '3 lines');
    await release(job.job_id);
    await waitFor(() => lines(el).length === 6, '6 lines');
    await release(job.job_id);
    await waitFor(() => el.state === 'success' && lines(el).length === 9, '9 lines');
    expect(lines(el).map((li) => li.dataset.seq)).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const asked = performance
      .getEntriesByType('resource')
      .filter((entry) => entry.name.includes(`/${job.job_id}/logs?`))
      .map((entry) => Number(new URL(entry.name).searchParams.get('after')));
    expect(asked[0]).to.equal(0);
    expect(asked).to.include.members([3, 6]);
    expect(asked).to.deep.equal([...asked].sort((a, b) => a - b));
    await expect(el).to.be.accessible();
  });

  it('reads a long log page by page', async function (this: { timeout(ms: number): void }) {
    // axe over 1200 lines takes seconds by itself; on a busy machine, more than the default 15 s.
    this.timeout(45_000);
    const job = await tenant.enqueue('test.logs', { input: { lines: 1200, rounds: 0 } });
    const el = await detail(tenant, job.job_id);
    await waitFor(() => el.state === 'success' && lines(el).length === 1200, '1200 lines');
    expect(el.logLines.map((l) => l.seq)).to.deep.equal(Array.from({ length: 1200 }, (_, i) => i + 1));
    await expect(el).to.be.accessible();
  });

  it('ticks the duration while the job runs', async () => {
    const job = await tenant.enqueue('test.gated');
    const el = await detail(tenant, job.job_id);
    await waitFor(() => el.state === 'running', 'running');
    const duration = () => field(el, 'Duration')!.querySelector('time')!.getAttribute('datetime');
    const before = duration();
    // No new event arrives meanwhile: only the clock can change it.
    await waitFor(() => duration() !== before, 'the duration to tick');
    await expect(el).to.be.accessible();
    await release(job.job_id);
  });

  it('cancels a busy job from its button', async () => {
    const job = await tenant.enqueue('test.gated');
    const el = await detail(tenant, job.job_id);
    await waitFor(() => el.state === 'running', 'running');
    const cancel = inShadow<HTMLButtonElement>(el, '[part=cancel]')!;
    expect(textOf(cancel)).to.equal('Cancel job');
    await expect(el).to.be.accessible();
    cancel.click();
    // It asks first: nothing is canceled until the admin confirms.
    await el.updateComplete;
    const confirm = inShadow(el, '[part=cancel-confirm]')!;
    expect(textOf(confirm.querySelector('span'))).to.equal('Stop this job now? It does not finish its work.');
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Keep running');
    await expect(el).to.be.accessible();
    [...confirm.querySelectorAll('button')].find((b) => textOf(b) === 'Keep running')!.click();
    await el.updateComplete;
    expect(el.state).to.equal('running');
    inShadow<HTMLButtonElement>(el, '[part=cancel]')!.click();
    await el.updateComplete;
    [...inShadow(el, '[part=cancel-confirm]')!.querySelectorAll('button')].find((b) => textOf(b) === 'Yes, cancel it')!.click();
    await waitFor(() => el.state === 'canceled', 'canceled');
    await el.updateComplete;
    expect(inShadow(el, '[part=cancel]')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('shows the error code and hint of a failed job', async () => {
    const job = await tenant.enqueue('test.fail');
    const el = await detail(tenant, job.job_id);
    await waitFor(() => el.state === 'failed', 'failed');
    expect(textOf(inShadow(el, '[part=error]'))).to.equal(
      'The peer refused the key. Next step: Rotate the key under Settings, then try again.',
    );
    expect(textOf(field(el, 'Error code'))).to.equal('auth_rejected');
    await expect(el).to.be.accessible();
    el.theme = 'dark';
    await el.updateComplete;
    expect(getComputedStyle(el).getPropertyValue('--job-status-surface').trim()).to.equal('#161b22');
    await expect(el).to.be.accessible();
  });

  it('says "Job no longer exists" when it is gone', async () => {
    const job = await tenant.enqueue('test.quick');
    await hide(job.job_id);
    const el = await detail(tenant, job.job_id);
    await waitFor(() => el.state === 'gone', 'gone');
    expect(textOf(inShadow(el, '[part=label]'))).to.equal('Job no longer exists');
    await expect(el).to.be.accessible();
  });

  it('renders markup in log lines and fields as text', async () => {
    const job = await tenant.enqueue('test.hostile');
    const el = await detail(tenant, job.job_id);
    await waitFor(() => lines(el).length === 1, 'the log line');
    expect(textOf(lines(el)[0]!.lastElementChild)).to.equal(
      '<img src=x onerror="window.__hostile=1"><script>window.__hostile=2</script>',
    );
    await release(job.job_id);
    await waitFor(() => el.state === 'failed', 'failed');
    expect(el.shadowRoot!.querySelector('img, script')).to.equal(null);
    expect((window as { __hostile?: number }).__hostile).to.equal(undefined);
    await expect(el).to.be.accessible();
  });
});
