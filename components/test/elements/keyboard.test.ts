import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/elements/all.js';
import type { JobDetailElement } from '../../src/elements/job-detail/job-detail.component.js';
import type { JobListElement } from '../../src/elements/job-list/job-list.component.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import { newTenant, release, textOf, uniqueTarget, waitFor } from './fixture.js';

/** The focused element, looking into shadow roots. */
function focused(): Element | null {
  let element = document.activeElement;
  while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
  return element;
}

/** Presses Tab until `match` holds for the focused element (at most 30 times). */
async function tabTo(match: (el: Element) => boolean, what: string) {
  for (let i = 0; i < 30; i++) {
    await sendKeys({ press: 'Tab' });
    const el = focused();
    if (el && match(el)) return el;
  }
  throw new Error(`Tab never reached ${what}`);
}

describe('keyboard use', () => {
  it('starts a job from the trigger with Enter', async () => {
    const tenant = await newTenant();
    const trigger = await fixture(html`<job-trigger base-url=${tenant.baseUrl} kind="test.gated" target=${uniqueTarget()}>
      <button type="button">Run</button>
    </job-trigger>`);
    const tile = trigger.shadowRoot!.querySelector<JobStatusElement>('job-status')!;
    await waitFor(() => tile.state === 'idle', 'idle');
    await tabTo((el) => el === trigger.querySelector('button'), 'the button');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => tile.state === 'running', 'running');
    await release(tile.snapshot!.job_id);
    await waitFor(() => tile.state === 'success', 'success');
    await expect(trigger).to.be.accessible();
  });

  it('reaches the filters, the pause toggle and the pages of the list', async () => {
    const tenant = await newTenant();
    const target = uniqueTarget();
    for (let i = 0; i < 3; i++) await tenant.enqueue('test.quick', { target });
    const list = await fixture<JobListElement>(html`<job-list base-url=${tenant.baseUrl} target=${target} page-size="2"
      detail-href="/jobs/{id}"></job-list>`);
    await waitFor(() => list.jobs.length === 2, 'first page');
    const stops: string[] = [];
    const pause = await tabTo((el) => {
      stops.push(el.localName);
      return textOf(el) === 'Pause live updates';
    }, 'the pause toggle');
    expect(stops.slice(0, 4)).to.deep.equal(['select', 'input', 'input', 'select']);
    await sendKeys({ press: 'Space' });
    await list.updateComplete;
    expect(list.paused).to.equal(true);
    expect(textOf(pause)).to.equal('Resume live updates');
    await tabTo((el) => el.localName === 'a', 'a row link');
    await tabTo((el) => textOf(el) === 'Next', 'Next');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => list.jobs.length === 1, 'page 2');
    expect(textOf(list.shadowRoot!.querySelector('nav'))).to.contain('Page 2');
    await expect(list).to.be.accessible();
  });

  it('cancels a job from the detail view with Enter, and scrolls its log by keyboard', async () => {
    const tenant = await newTenant();
    const job = await tenant.enqueue('test.logs', { input: { lines: 40, rounds: 1 } });
    const detail = await fixture<JobDetailElement>(html`<job-detail base-url=${tenant.baseUrl} job-id=${job.job_id}></job-detail>`);
    await waitFor(() => detail.logLines.length === 40, '40 lines');
    await tabTo((el) => textOf(el) === 'Cancel job', 'Cancel job');
    await tabTo((el) => el.getAttribute('part') === 'log', 'the log');
    const log = focused()!;
    const top = log.scrollTop;
    // The tail keeps to the newest line: scroll up from there.
    expect(top).to.be.greaterThan(0);
    await sendKeys({ press: 'PageUp' });
    await waitFor(() => log.scrollTop !== top, 'the log to scroll');
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    expect(textOf(focused())).to.equal('Cancel job');
    await sendKeys({ press: 'Enter' });
    // It asks first, with the safe answer focused.
    await waitFor(() => textOf(focused()) === 'Keep running', 'the question');
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    expect(textOf(focused())).to.equal('Yes, cancel it');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => detail.state === 'canceled', 'canceled');
    await expect(detail).to.be.accessible();
  });
});
