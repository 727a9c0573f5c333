import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/job-trigger/job-trigger.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import type { JobTriggerElement } from '../../src/elements/job-trigger/job-trigger.component.js';
import type { JobStatusSettledEvent } from '../../src/elements/events.js';
import { inShadow, newTenant, release, textOf, uniqueTarget, waitFor, waitForAsync } from './fixture.js';
import type { Tenant } from './fixture.js';

const ownTile = (trigger: JobTriggerElement) => inShadow<JobStatusElement>(trigger, 'job-status')!;
const buttonOf = (trigger: JobTriggerElement) => trigger.querySelector('button')!;
const isBusy = (button: HTMLButtonElement) => button.disabled && button.getAttribute('aria-busy') === 'true';
const isIdle = (button: HTMLButtonElement) => !button.disabled && !button.hasAttribute('aria-busy');

async function trigger(tenant: Tenant, kind: string, target: string | null, extra: { input?: string } = {}) {
  const el = await fixture<JobTriggerElement>(html`<job-trigger base-url=${tenant.baseUrl} kind=${kind}>
    <button type="button">Push to peer</button>
  </job-trigger>`);
  el.target = target;
  if (extra.input !== undefined) el.setAttribute('input', extra.input);
  await el.updateComplete;
  await waitFor(() => ownTile(el).state !== null, 'tile loaded');
  return el;
}

describe('<job-trigger>', () => {
  let tenant: Tenant;
  beforeEach(async () => {
    tenant = await newTenant();
  });

  it('names its own idle tile after the button until a job names it', async () => {
    const el = await trigger(tenant, 'test.gated', uniqueTarget());
    expect(textOf(inShadow(ownTile(el), '[part=label]'))).to.equal('Push to peer');
  });

  describe('when clicked', () => {
    it('shows queued before the POST answers, follows the job, and re-enables the button when it ends', async () => {
      const el = await trigger(tenant, 'test.gated', uniqueTarget());
      const tile = ownTile(el);
      const button = buttonOf(el);
      expect(tile.state).to.equal('idle');
      await tenant.holdEnqueues();

      button.click();
      await tile.updateComplete;
      // The server holds the POST: the tile shows queued from the click alone.
      await waitForAsync(async () => (await tenant.heldEnqueues()) === 1, 'the POST to reach the server');
      expect(tile.state).to.equal('queued');
      expect(textOf(inShadow(tile, '[part~=badge]'))).to.equal('Queued');
      expect(textOf(inShadow(tile, '[part=label]'))).to.equal('Push to peer');
      expect(isBusy(button)).to.equal(true);
      expect(el.hasAttribute('busy')).to.equal(true);
      await expect(el).to.be.accessible();

      await tenant.releaseEnqueues();
      await waitFor(() => tile.state === 'running', 'running');
      const jobId = tile.snapshot!.job_id;
      expect(jobId).to.match(/^[0-9a-f-]{36}$/);
      expect(textOf(inShadow(tile, '[part=label]'))).to.equal('Gated');
      expect(isBusy(button)).to.equal(true);

      await release(jobId);
      await waitFor(() => tile.state === 'success', 'success');
      await el.updateComplete;
      expect(isIdle(button)).to.equal(true);
      expect(el.hasAttribute('busy')).to.equal(false);
      await expect(el).to.be.accessible();
    });

    it('shows queued in the same task as the click, before any answer can arrive', async () => {
      const el = await trigger(tenant, 'test.quick', uniqueTarget());
      const tile = ownTile(el);
      buttonOf(el).click();
      // Only microtasks run between the click and this line; no network answer can.
      await tile.updateComplete;
      expect(tile.state).to.equal('queued');
      expect(tile.shadowRoot!.querySelector('[part~=badge]')!.textContent).to.contain('Queued');
      await expect(el).to.be.accessible();
      await waitFor(() => tile.state === 'success', 'success');
    });

    it('re-enables the button on every terminal state', async () => {
      const target = uniqueTarget();
      for (const [kind, state] of [
        ['test.quick', 'success'],
        ['test.warn', 'warning'],
        ['test.fail', 'failed'],
        ['test.gated', 'canceled'],
      ] as const) {
        const el = await trigger(tenant, kind, target);
        const tile = ownTile(el);
        const button = buttonOf(el);
        const settled: JobStatusSettledEvent[] = [];
        el.addEventListener('job-status-settled', (e) => settled.push(e));
        button.click();
        await el.updateComplete;
        expect(isBusy(button), `${kind} busy`).to.equal(true);
        if (state === 'canceled') {
          await waitFor(() => tile.state === 'running', 'running');
          expect(isBusy(button)).to.equal(true);
          await tenant.cancel(tile.snapshot!.job_id);
        }
        await waitFor(() => tile.state === state, state);
        // The tile may hear the end (its kind and target's stream) before the click's POST
        // is answered; the button waits for that answer too, then is enabled.
        await waitFor(() => isIdle(button), `${state}: button enabled`);
        expect(settled.map((e) => e.state)).to.deep.equal([state]);
        await expect(el).to.be.accessible();
      }
    });

    it('keeps the button disabled at load while a job of its kind and target runs', async () => {
      const target = uniqueTarget();
      const job = await tenant.enqueue('test.gated', { target });
      const el = await trigger(tenant, 'test.gated', target);
      await waitFor(() => ownTile(el).state === 'running', 'running');
      await el.updateComplete;
      expect(isBusy(buttonOf(el))).to.equal(true);
      await release(job.job_id);
      await waitFor(() => isIdle(buttonOf(el)), 'enabled');
      await expect(el).to.be.accessible();
    });

    it('gives focus back to the button when it is enabled again', async () => {
      const el = await trigger(tenant, 'test.gated', uniqueTarget());
      const button = buttonOf(el);
      button.focus();
      button.click();
      await waitFor(() => ownTile(el).state === 'running', 'running');
      await release(ownTile(el).snapshot!.job_id);
      await waitFor(() => isIdle(button), 'enabled');
      expect(document.activeElement).to.equal(button);
      await expect(el).to.be.accessible();
    });
  });

  describe('when the enqueue is refused', () => {
    it('shows the server message for invalid input, with what to do next', async () => {
      const el = await trigger(tenant, 'test.input', null);
      const tile = ownTile(el);
      buttonOf(el).click();
      await waitFor(() => tile.state === 'failed', 'failed');
      await el.updateComplete;
      expect(textOf(inShadow(tile, '[part=error]'))).to.equal(
        'input.peer: must be a non-empty string Next step: Correct the input, then try again.',
      );
      expect(tile.snapshot!.error!.code).to.equal('invalid_input');
      expect(isIdle(buttonOf(el))).to.equal(true);
      await expect(el).to.be.accessible();
    });

    it('shows the server message for an unknown kind and for a refused caller', async () => {
      const el = await trigger(tenant, 'no.such.kind', null);
      buttonOf(el).click();
      await waitFor(() => ownTile(el).state === 'failed', 'failed');
      expect(textOf(inShadow(ownTile(el), '[part=error]'))).to.contain('kind: no job kind named "no.such.kind" is defined');

      const refused = await newTenant({ auth: '403' });
      const other = await fixture<JobTriggerElement>(html`<job-trigger base-url=${refused.baseUrl} kind="test.quick"
        ><button type="button">Go</button></job-trigger
      >`);
      buttonOf(other).click();
      await waitFor(() => ownTile(other).snapshot?.error?.hint?.includes('Ask an administrator') ?? false, 'forbidden');
      expect(ownTile(other).state).to.equal('failed');
      await expect(other).to.be.accessible();
    });

    it('shows a network failure as failed, saying to check the connection', async () => {
      const el = await fixture<JobTriggerElement>(html`<job-trigger base-url="http://127.0.0.1:9/jobs" kind="test.quick"
        ><button type="button">Go</button></job-trigger
      >`);
      buttonOf(el).click();
      await waitFor(() => ownTile(el).state === 'failed', 'failed', 15000);
      expect(textOf(inShadow(ownTile(el), '[part=hint]'))).to.contain('Check your network connection');
      await el.updateComplete;
      expect(isIdle(buttonOf(el))).to.equal(true);
      await expect(el).to.be.accessible();
    });
  });

  describe('input', () => {
    it('sends the input attribute as JSON', async () => {
      const el = await trigger(tenant, 'test.input', null, { input: '{"peer":"peer-a","full":true}' });
      buttonOf(el).click();
      await waitFor(() => ownTile(el).state === 'success', 'success');
      expect(ownTile(el).snapshot!.result).to.deep.equal({ peer: 'peer-a', full: true });
      await expect(el).to.be.accessible();
    });

    it('in form mode, sends the form fields after the browser validated them', async () => {
      const form = await fixture<HTMLFormElement>(html`<form>
        <label>Peer <input name="peer" required /></label>
        <label><input type="checkbox" name="tags" value="a" checked /> a</label>
        <label><input type="checkbox" name="tags" value="b" checked /> b</label>
        <job-trigger base-url=${tenant.baseUrl} kind="test.input" use-form input='{"full":true}'>
          <button>Start</button>
        </job-trigger>
      </form>`);
      const el = form.querySelector('job-trigger')!;
      await el.updateComplete;
      let navigated = false;
      form.addEventListener('submit', (e) => (navigated = !e.defaultPrevented));
      // Invalid: the browser blocks the submit, nothing is sent.
      buttonOf(el).click();
      await el.updateComplete;
      expect(ownTile(el).state).to.not.equal('queued');
      form.querySelector<HTMLInputElement>('[name=peer]')!.value = 'peer-b';
      buttonOf(el).click();
      await waitFor(() => ownTile(el).state === 'success', 'success');
      expect(ownTile(el).snapshot!.result).to.deep.equal({ full: true, peer: 'peer-b', tags: ['a', 'b'] });
      expect(navigated).to.equal(false);
      await expect(form).to.be.accessible();
    });
  });

  describe('pairing with a tile', () => {
    it('shows the job in the tile named by for', async () => {
      const page = await fixture<HTMLElement>(html`<div>
        <job-trigger base-url=${tenant.baseUrl} kind="test.gated" for="the-tile"><button type="button">Run</button></job-trigger>
        <job-status id="the-tile" base-url=${tenant.baseUrl}></job-status>
      </div>`);
      const el = page.querySelector('job-trigger')!;
      const tile = page.querySelector('job-status')!;
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('job-status')).to.equal(null);
      buttonOf(el).click();
      await tile.updateComplete;
      expect(tile.state).to.equal('queued');
      await waitFor(() => tile.state === 'running', 'running');
      expect(tile.jobId).to.equal(tile.snapshot!.job_id);
      await release(tile.jobId!);
      await waitFor(() => tile.state === 'success', 'success');
      await expect(page).to.be.accessible();
    });

    it('shows the job in a tile placed inside it', async () => {
      const target = uniqueTarget();
      const el = await fixture<JobTriggerElement>(html`<job-trigger base-url=${tenant.baseUrl} kind="test.gated" target=${target}>
        <button type="button">Run</button>
        <job-status kind="test.gated" target=${target} base-url=${tenant.baseUrl}></job-status>
      </job-trigger>`);
      const tile = el.querySelector('job-status')!;
      await waitFor(() => tile.state === 'idle', 'idle');
      buttonOf(el).click();
      await tile.updateComplete;
      expect(tile.state).to.equal('queued');
      await waitFor(() => tile.state === 'running', 'running');
      // It follows the pair itself: the trigger did not pin it to the job.
      expect(tile.jobId).to.equal(null);
      await release(tile.snapshot!.job_id);
      await waitFor(() => tile.state === 'success', 'success');
      await expect(el).to.be.accessible();
    });
  });
});
