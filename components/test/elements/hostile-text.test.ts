import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/job-status/job-status.js';
import '../../src/elements/job-trigger/job-trigger.js';
import '../../src/elements/job-list/job-list.js';
import '../../src/elements/job-detail/job-detail.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import type { JobTriggerElement } from '../../src/elements/job-trigger/job-trigger.component.js';
import type { JobListElement } from '../../src/elements/job-list/job-list.component.js';
import type { JobDetailElement } from '../../src/elements/job-detail/job-detail.component.js';
import { inShadow, newTenant, release, textOf, waitFor } from './fixture.js';
import type { Tenant } from './fixture.js';

/**
 * Script-like text in every field of a job (label, phase, progress unit, message, error
 * message, hint, log line, result, target, actor) renders as text in every element:
 * nothing of it becomes an element, no handler runs. The job kind is the test server's
 * `test.hostile-fields`; the tenant's name makes the actor hostile too.
 */

/** The test server's `hostile(field)`: markup that would set `window.__hostile` if it ever ran. */
const hostile = (field: string) =>
  `<img src=x onerror="window.__hostile='${field}'"><script>window.__hostile='${field}'</script>${field}`;
const UNIT = '<img src=x onerror=alert(1)>';
const ACTOR = hostile('actor');

/** Elements matching `selector` in `root`'s shadow tree, nested shadow roots included. */
function deepQuery(root: Element, selector: string): Element[] {
  const found: Element[] = [];
  const visit = (node: Element | ShadowRoot) => {
    found.push(...node.querySelectorAll(selector));
    for (const child of node.querySelectorAll('*')) if (child.shadowRoot) visit(child.shadowRoot);
  };
  if (root.shadowRoot) visit(root.shadowRoot);
  visit(root);
  return found;
}

/** Nothing the job said became markup, and nothing of it ran. */
function expectInert(el: Element) {
  expect(deepQuery(el, 'img, script, iframe, object, embed, a[href^="javascript:"]').map((e) => e.outerHTML)).to.deep.equal([]);
  expect((window as { __hostile?: unknown }).__hostile).to.equal(undefined);
}

const stateIs = (el: { state: string | null }, state: string) => waitFor(() => el.state === state, `state ${state}`);

describe('hostile text in every job field', () => {
  let tenant: Tenant;
  /** Hostile, and unique to the test: the server's history is shared by every tenant. */
  let TARGET: string;
  beforeEach(async () => {
    tenant = await newTenant({ name: ACTOR });
    TARGET = `${hostile('target')} ${crypto.randomUUID().slice(0, 8)}`;
  });

  it('the test server puts markup in every field', async () => {
    const job = await tenant.enqueue('test.hostile-fields', { target: TARGET, input: { outcome: 'fail' } });
    expect(job).to.include({ label: hostile('label'), target: TARGET, actor: ACTOR });
  });

  describe('<job-status>', () => {
    it('shows label, phase, unit, error and hint as text', async () => {
      const job = await tenant.enqueue('test.hostile-fields', { target: TARGET, input: { outcome: 'fail' } });
      const el = await fixture<JobStatusElement>(html`<job-status base-url=${tenant.baseUrl} job-id=${job.job_id}></job-status>`);
      await waitFor(() => el.snapshot?.phase === hostile('phase'), 'the phase');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=label]'))).to.equal(hostile('label'));
      expect(textOf(inShadow(el, '[part=phase]'))).to.equal(hostile('phase'));
      expect(inShadow(el, '[role=progressbar]')!.getAttribute('aria-valuetext')).to.contain(UNIT);
      expectInert(el);
      await release(job.job_id);
      await stateIs(el, 'failed');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=error] p'))).to.equal(hostile('error'));
      expect(textOf(inShadow(el, '[part=hint]'))).to.contain(hostile('hint'));
      expectInert(el);
      await expect(el).to.be.accessible();
    });

    it('shows a message as text, and follows a kind with a hostile target', async () => {
      const job = await tenant.enqueue('test.hostile-fields', { target: TARGET, input: { outcome: 'succeed' } });
      const el = await fixture<JobStatusElement>(html`<job-status base-url=${tenant.baseUrl} kind="test.hostile-fields"></job-status>`);
      el.target = TARGET;
      await waitFor(() => el.snapshot?.job_id === job.job_id, 'the job of the scope');
      await release(job.job_id);
      await stateIs(el, 'success');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=message]'))).to.equal(hostile('message'));
      expect(textOf(inShadow(el, '[part=label]'))).to.equal(hostile('label'));
      expectInert(el);
      await expect(el).to.be.accessible();
    });
  });

  describe("<job-trigger>'s tile", () => {
    it('shows what the job it started says as text', async () => {
      const el = await fixture<JobTriggerElement>(html`<job-trigger base-url=${tenant.baseUrl} kind="test.hostile-fields" input='{"outcome":"fail"}'>
        <button type="button">Run</button>
      </job-trigger>`);
      el.target = TARGET;
      await el.updateComplete;
      const tile = inShadow<JobStatusElement>(el, 'job-status')!;
      await waitFor(() => tile.state === 'idle', 'the idle tile');
      el.querySelector('button')!.click();
      await waitFor(() => tile.snapshot?.phase === hostile('phase'), 'the phase');
      await tile.updateComplete;
      expect(tile.snapshot).to.include({ target: TARGET, actor: ACTOR });
      expect(textOf(inShadow(tile, '[part=label]'))).to.equal(hostile('label'));
      expect(textOf(inShadow(tile, '[part=phase]'))).to.equal(hostile('phase'));
      expect(inShadow(tile, '[role=progressbar]')!.getAttribute('aria-valuetext')).to.contain(UNIT);
      expectInert(el);
      await release(tile.snapshot!.job_id);
      await stateIs(tile, 'failed');
      await tile.updateComplete;
      expect(textOf(inShadow(tile, '[part=error] p'))).to.equal(hostile('error'));
      expect(textOf(inShadow(tile, '[part=hint]'))).to.contain(hostile('hint'));
      expectInert(el);
      await expect(el).to.be.accessible();
    });
  });

  describe('<job-list>', () => {
    it('shows label, kind, target and actor as text in its rows, and filters by a hostile target', async () => {
      const job = await tenant.enqueue('test.hostile-fields', { target: TARGET, input: { outcome: 'succeed' } });
      const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl}></job-list>`);
      list.target = TARGET;
      await waitFor(() => list.jobs.some((j) => j.job_id === job.job_id), 'the row');
      await list.updateComplete;
      const row = list.shadowRoot!.querySelector<HTMLTableRowElement>(`tr[data-job-id="${job.job_id}"]`)!;
      const cells = [...row.children].map((cell) => textOf(cell));
      expect(cells[0]).to.equal(hostile('label'));
      expect(cells[1]).to.equal('test.hostile-fields');
      expect(cells[2]).to.equal(TARGET);
      expect(cells[5]).to.equal(ACTOR);
      expectInert(list);
      await release(job.job_id);
      await waitFor(() => list.jobs.find((j) => j.job_id === job.job_id)?.state === 'success', 'success');
      expectInert(list);
      await expect(list).to.be.accessible();
    });
  });

  describe('<job-detail>', () => {
    const field = (el: JobDetailElement, term: string) =>
      [...el.shadowRoot!.querySelectorAll('dt')].find((d) => textOf(d) === term)?.nextElementSibling ?? null;

    it('shows every field, the log line, the error and the hint as text', async () => {
      const job = await tenant.enqueue('test.hostile-fields', { target: TARGET, input: { outcome: 'fail' } });
      const el = await fixture<JobDetailElement>(html`<job-detail base-url=${tenant.baseUrl} job-id=${job.job_id}></job-detail>`);
      await waitFor(() => el.shadowRoot!.querySelectorAll('[part=log] li').length === 1, 'the log line');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=label]'))).to.equal(hostile('label'));
      expect(textOf(inShadow(el, '[part=phase]'))).to.equal(hostile('phase'));
      expect(inShadow(el, '[role=progressbar]')!.getAttribute('aria-valuetext')).to.contain(UNIT);
      expect(textOf(inShadow(el, '[part=log] li')!.lastElementChild)).to.equal(hostile('log'));
      expect(textOf(field(el, 'Target'))).to.equal(TARGET);
      expect(textOf(field(el, 'Started by'))).to.equal(ACTOR);
      expectInert(el);
      await release(job.job_id);
      await stateIs(el, 'failed');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=error] p'))).to.equal(hostile('error'));
      expect(textOf(inShadow(el, '[part=hint]'))).to.contain(hostile('hint'));
      expectInert(el);
      await expect(el).to.be.accessible();
    });

    it('shows the message and the result as text', async () => {
      const job = await tenant.enqueue('test.hostile-fields', { target: TARGET, input: { outcome: 'succeed' } });
      const el = await fixture<JobDetailElement>(html`<job-detail base-url=${tenant.baseUrl} job-id=${job.job_id}></job-detail>`);
      await waitFor(() => el.state === 'running', 'running');
      await release(job.job_id);
      await stateIs(el, 'success');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=message]'))).to.equal(hostile('message'));
      expect(textOf(inShadow(el, '[part=result]'))).to.contain(`<script>window.__hostile='result'</script>`);
      expectInert(el);
      await expect(el).to.be.accessible();
    });
  });
});
