import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import '../../src/elements/job-status/job-status.js';
import '../../src/elements/job-status-provider/job-status-provider.js';
import type { JobStatusElement } from '../../src/elements/job-status/job-status.component.js';
import type { JobStatusChangeEvent, JobStatusSettledEvent } from '../../src/elements/events.js';
import { hide, inShadow, newTenant, release, textOf, uniqueTarget, waitFor } from './fixture.js';
import type { Tenant } from './fixture.js';

const badge = (el: JobStatusElement) => textOf(inShadow(el, '[part~=badge]'));
const bar = (el: JobStatusElement) => inShadow(el, '[role=progressbar]');
const times = (el: JobStatusElement) =>
  [...el.shadowRoot!.querySelectorAll('[part~=times] div')].map((div) => ({
    term: textOf(div.querySelector('dt')),
    datetime: div.querySelector('time')?.getAttribute('datetime'),
    title: div.querySelector('time')?.getAttribute('title'),
  }));
const liveRegion = (el: Element) => inShadow(el, '[role=status]')!;

async function tile(tenant: Tenant, attrs: { jobId?: string; kind?: string; target?: string } = {}) {
  const el = await fixture<JobStatusElement>(html`<job-status
    base-url=${tenant.baseUrl}
    job-id=${attrs.jobId ?? ''}
    kind=${attrs.kind ?? ''}
    target=${attrs.target ?? ''}
  ></job-status>`);
  // Empty attributes mean "not set" for these tests.
  if (!attrs.jobId) el.jobId = null;
  if (!attrs.kind) el.kind = null;
  if (!attrs.target) el.target = null;
  return el;
}
const stateIs = (el: JobStatusElement, state: string) => waitFor(() => el.getAttribute('state') === state, `state ${state}`);

describe('<job-status>', () => {
  let tenant: Tenant;
  beforeEach(async () => {
    tenant = await newTenant();
  });

  describe('when the job is queued', () => {
    it('shows the queued badge, the queued time and no bar', async () => {
      const target = uniqueTarget();
      const first = await tenant.enqueue('test.serial', { target });
      const second = await tenant.enqueue('test.serial', { target });
      const el = await tile(tenant, { jobId: second.job_id });
      await stateIs(el, 'queued');
      expect(badge(el)).to.equal('Queued');
      expect(bar(el)).to.equal(null);
      expect(times(el)).to.have.length(1);
      expect(times(el)[0]).to.include({ term: 'Queued', datetime: second.created_at });
      expect(times(el)[0]!.title).to.be.a('string').and.not.equal('');
      await expect(el).to.be.accessible();
      await release(first.job_id);
      await release(second.job_id);
    });
  });

  describe('when the job runs', () => {
    it('shows the phase, a determinate bar with "1 of 2 steps", and the started time and duration', async () => {
      const job = await tenant.enqueue('test.gated', { target: uniqueTarget() });
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'running');
      await waitFor(() => !!bar(el), 'bar');
      expect(badge(el)).to.equal('Running');
      expect(textOf(inShadow(el, '[part=phase]'))).to.equal('Waiting for release');
      const progress = bar(el)!;
      expect(progress.getAttribute('aria-valuenow')).to.equal('50');
      expect(progress.getAttribute('aria-valuemin')).to.equal('0');
      expect(progress.getAttribute('aria-valuemax')).to.equal('100');
      expect(progress.getAttribute('aria-valuetext')).to.equal('1 of 2 steps');
      expect(textOf(inShadow(el, '[part=progress-text]'))).to.equal('1 of 2 steps · 50%');
      expect(inShadow(el, '[part=bar-fill]')!.getAttribute('width')).to.equal('50%');
      expect(times(el).map((t) => t.term)).to.deep.equal(['Queued', 'Started', 'Duration']);
      expect(times(el)[1]!.datetime).to.equal(el.snapshot!.started_at);
      await expect(el).to.be.accessible();
      await release(job.job_id);
    });

    it('fills the bar from the right, and puts its accent on the right, on a right-to-left page', async () => {
      const job = await tenant.enqueue('test.gated', { target: uniqueTarget() });
      const el = await tile(tenant, { jobId: job.job_id });
      el.setAttribute('dir', 'rtl');
      await stateIs(el, 'running');
      await waitFor(() => !!bar(el), 'bar');
      expect(getComputedStyle(inShadow(el, '[part=bar] svg')!).transform).to.equal('matrix(-1, 0, 0, 1, 0, 0)');
      const base = getComputedStyle(inShadow(el, '[part=base]')!);
      expect(base.borderRightWidth).to.equal('4px');
      expect(base.borderLeftWidth).to.not.equal('4px');
      el.setAttribute('dir', 'ltr');
      await el.updateComplete;
      expect(getComputedStyle(inShadow(el, '[part=bar] svg')!).transform).to.equal('none');
      await release(job.job_id);
    });

    it('shows a percent alone as "40%"', async () => {
      const job = await tenant.enqueue('test.progress', { input: { progress: { percent: 40 } } });
      const el = await tile(tenant, { jobId: job.job_id });
      await waitFor(() => bar(el)?.getAttribute('aria-valuenow') === '40', 'valuenow 40');
      expect(bar(el)!.getAttribute('aria-valuetext')).to.equal('40%');
      expect(textOf(inShadow(el, '[part=progress-text]'))).to.equal('40%');
      await expect(el).to.be.accessible();
      await release(job.job_id);
    });

    it('shows an indeterminate bar, without valuenow, min or max, when no progress is known', async () => {
      const job = await tenant.enqueue('test.twostep');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'running');
      const progress = bar(el)!;
      expect(progress.classList.contains('indeterminate')).to.equal(true);
      for (const name of ['aria-valuenow', 'aria-valuemin', 'aria-valuemax', 'aria-valuetext']) {
        expect(progress.hasAttribute(name), name).to.equal(false);
      }
      expect(progress.getAttribute('aria-label')).to.equal('Progress');
      await expect(el).to.be.accessible();
      await release(job.job_id);
      await release(job.job_id);
    });

    it('shows a count without a total as an indeterminate bar with "25 files"', async () => {
      const job = await tenant.enqueue('test.progress', { input: { progress: { current: 25, unit: 'files' } } });
      const el = await tile(tenant, { jobId: job.job_id });
      await waitFor(() => bar(el)?.getAttribute('aria-valuetext') === '25 files', 'valuetext');
      expect(bar(el)!.hasAttribute('aria-valuenow')).to.equal(false);
      await expect(el).to.be.accessible();
      await release(job.job_id);
    });
  });

  describe('when the job has ended', () => {
    it('shows success with its message, a full bar, the finished time and the duration', async () => {
      const job = await tenant.enqueue('test.gated');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'running');
      await release(job.job_id);
      await stateIs(el, 'success');
      expect(badge(el)).to.equal('Succeeded');
      expect(textOf(inShadow(el, '[part=message]'))).to.equal('Released');
      expect(bar(el)!.getAttribute('aria-valuenow')).to.equal('100');
      expect(times(el).map((t) => t.term)).to.deep.equal(['Queued', 'Started', 'Finished', 'Duration']);
      expect(times(el)[2]!.datetime).to.equal(el.snapshot!.finished_at);
      const duration = el.shadowRoot!.querySelectorAll('[part~=times] time')[3]!;
      expect(duration.getAttribute('datetime')).to.match(/^PT\d+\.\d{3}S$/);
      await expect(el).to.be.accessible();
    });

    it('shows warning with its message', async () => {
      const job = await tenant.enqueue('test.warn');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'warning');
      expect(badge(el)).to.equal('Finished with warnings');
      expect(textOf(inShadow(el, '[part=message]'))).to.equal('Synced 8 of 10 records; 2 skipped');
      expect(bar(el)!.getAttribute('aria-valuetext')).to.equal('10 of 10 records');
      expect(times(el).map((t) => t.term)).to.deep.equal(['Queued', 'Started', 'Finished', 'Duration']);
      await expect(el).to.be.accessible();
    });

    it('shows failed with the error and what to do next, once', async () => {
      const job = await tenant.enqueue('test.fail');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'failed');
      expect(badge(el)).to.equal('Failed');
      expect(textOf(inShadow(el, '[part=error]'))).to.equal(
        'The peer refused the key. Next step: Rotate the key under Settings, then try again.',
      );
      // The message repeats the error: shown once only.
      expect(inShadow(el, '[part=message]')).to.equal(null);
      // It never reported progress: no bar.
      expect(bar(el)).to.equal(null);
      expect(times(el).map((t) => t.term)).to.deep.equal(['Queued', 'Started', 'Finished', 'Duration']);
      await expect(el).to.be.accessible();
    });

    it('shows canceled', async () => {
      const job = await tenant.enqueue('test.gated');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'running');
      await tenant.cancel(job.job_id);
      await stateIs(el, 'canceled');
      expect(badge(el)).to.equal('Canceled');
      // The progress it had reached stays, still.
      expect(bar(el)!.getAttribute('aria-valuenow')).to.equal('50');
      expect(times(el).map((t) => t.term)).to.deep.equal(['Queued', 'Started', 'Finished', 'Duration']);
      await expect(el).to.be.accessible();
    });

    it('passes axe in the dark theme too, in every end state', async () => {
      for (const kind of ['test.quick', 'test.warn', 'test.fail']) {
        const job = await tenant.enqueue(kind);
        const el = await tile(tenant, { jobId: job.job_id });
        el.theme = 'dark';
        await waitFor(() => ['success', 'warning', 'failed'].includes(el.getAttribute('state')!), `${kind} ended`);
        expect(getComputedStyle(el).getPropertyValue('--job-status-surface').trim()).to.equal('#161b22');
        await expect(el).to.be.accessible();
      }
    });
  });

  describe('when the job no longer exists', () => {
    it('says so, with what to do next', async () => {
      const job = await tenant.enqueue('test.quick');
      await hide(job.job_id);
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'gone');
      expect(textOf(inShadow(el, '[part=message]'))).to.equal('Job no longer exists');
      expect(textOf(inShadow(el, '[part=hint]'))).to.contain('Start the action again');
      await expect(el).to.be.accessible();
    });
  });

  describe('when it follows a kind and target', () => {
    it('shows idle with the empty message while there is no job', async () => {
      const el = await tile(tenant, { kind: 'test.gated', target: uniqueTarget() });
      await stateIs(el, 'idle');
      expect(badge(el)).to.equal('Idle');
      expect(textOf(inShadow(el, '[part=message]'))).to.equal('Not run yet.');
      el.emptyMessage = 'Never pushed to this peer.';
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=message]'))).to.equal('Never pushed to this peer.');
      await expect(el).to.be.accessible();
    });

    it('switches to each new job of the pair', async () => {
      const target = uniqueTarget();
      const el = await tile(tenant, { kind: 'test.gated', target });
      await stateIs(el, 'idle');
      const first = await tenant.enqueue('test.gated', { target });
      await waitFor(() => el.snapshot?.job_id === first.job_id && el.state === 'running', 'first job running');
      await release(first.job_id);
      await stateIs(el, 'success');
      const second = await tenant.enqueue('test.gated', { target });
      await waitFor(() => el.snapshot?.job_id === second.job_id && el.state === 'running', 'second job running');
      // A job of another target is not this tile's.
      const other = await tenant.enqueue('test.quick', { target: uniqueTarget() });
      await release(second.job_id);
      await stateIs(el, 'success');
      expect(el.snapshot!.job_id).to.equal(second.job_id);
      expect(el.snapshot!.job_id).to.not.equal(other.job_id);
      await expect(el).to.be.accessible();
    });
  });

  describe('events and announcements', () => {
    it('fires change and settled on transitions, not on first load', async () => {
      const done = await tenant.enqueue('test.quick');
      const doneTile = await tile(tenant, { jobId: done.job_id });
      const heard: Event[] = [];
      doneTile.addEventListener('job-status-change', (e) => heard.push(e));
      doneTile.addEventListener('job-status-settled', (e) => heard.push(e));
      await stateIs(doneTile, 'success');

      const job = await tenant.enqueue('test.gated');
      const el = await tile(tenant, { jobId: job.job_id });
      const changes: JobStatusChangeEvent[] = [];
      const settled: JobStatusSettledEvent[] = [];
      // Listening on the document: the events bubble and are composed.
      const onChange = (e: JobStatusChangeEvent) => e.target === el && changes.push(e);
      const onSettled = (e: JobStatusSettledEvent) => e.target === el && settled.push(e);
      document.addEventListener('job-status-change', onChange);
      document.addEventListener('job-status-settled', onSettled);
      try {
        await stateIs(el, 'running');
        const before = changes.length;
        await release(job.job_id);
        await stateIs(el, 'success');
        expect(changes.length - before).to.equal(1);
        expect(changes.at(-1)).to.include({ state: 'success', previousState: 'running' });
        expect(changes.at(-1)!.snapshot!.job_id).to.equal(job.job_id);
        expect(settled).to.have.length(1);
        expect(settled[0]!.state).to.equal('success');
        expect(settled[0]!.bubbles && settled[0]!.composed).to.equal(true);
      } finally {
        document.removeEventListener('job-status-change', onChange);
        document.removeEventListener('job-status-settled', onSettled);
      }
      expect(heard).to.have.length(0);
    });

    it('announces state changes once in one polite status region, not steps within a state', async () => {
      const job = await tenant.enqueue('test.twostep');
      const el = await tile(tenant, { jobId: job.job_id });
      await waitFor(() => el.snapshot?.phase === 'Step 1', 'step 1');
      const region = liveRegion(el);
      expect(region.textContent).to.equal('');
      const texts: string[] = [];
      const observer = new MutationObserver(() => texts.push(region.textContent!));
      observer.observe(region, { childList: true, characterData: true, subtree: true });
      await release(job.job_id);
      await waitFor(() => el.snapshot?.phase === 'Step 2', 'step 2');
      await el.updateComplete;
      expect(texts).to.deep.equal([]);
      await release(job.job_id);
      await stateIs(el, 'success');
      await el.updateComplete;
      observer.disconnect();
      expect(texts).to.deep.equal(['Two steps: Succeeded. Both steps done']);
      // The region is the same element throughout.
      expect(liveRegion(el)).to.equal(region);
      await expect(el).to.be.accessible();
    });
  });

  describe('safety', () => {
    it('renders markup in job text as text', async () => {
      const job = await tenant.enqueue('test.hostile');
      const el = await tile(tenant, { jobId: job.job_id });
      await waitFor(() => !!el.snapshot?.phase, 'phase');
      await el.updateComplete;
      expect(textOf(inShadow(el, '[part=phase]'))).to.equal(
        '<img src=x onerror="window.__hostile=1"><script>window.__hostile=2</script>',
      );
      expect(textOf(inShadow(el, '[part=label]'))).to.contain('<img src=x');
      expect(bar(el)!.getAttribute('aria-valuetext')).to.contain('<img src=x');
      await release(job.job_id);
      await stateIs(el, 'failed');
      expect(textOf(inShadow(el, '[part=error]'))).to.contain('<script>window.__hostile=2</script>');
      expect(el.shadowRoot!.querySelector('img, script')).to.equal(null);
      expect((window as { __hostile?: number }).__hostile).to.equal(undefined);
      await expect(el).to.be.accessible();
    });
  });

  describe('styling and copy', () => {
    it('takes strings, links to details when the job has logs, and reflects its state', async () => {
      const job = await tenant.enqueue('test.logs', { input: { rounds: 0 } });
      const el = await tile(tenant, { jobId: job.job_id });
      el.detailsHref = '/admin/jobs/{id}';
      el.strings = { success: 'Done!', viewDetails: 'Open the log' };
      await stateIs(el, 'success');
      await el.updateComplete;
      expect(badge(el)).to.equal('Done!');
      const link = inShadow<HTMLAnchorElement>(el, 'a[part=details-link]')!;
      expect(link.getAttribute('href')).to.equal(`/admin/jobs/${job.job_id}`);
      expect(textOf(link)).to.equal('Open the log');
      expect(el.matches('[state=success]')).to.equal(true);
      await expect(el).to.be.accessible();
    });
  });

  describe('looks', () => {
    it('follows a dark system theme unless forced light, and forces dark on request', async () => {
      const job = await tenant.enqueue('test.fail');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'failed');
      const surface = () => getComputedStyle(el).getPropertyValue('--job-status-surface').trim();
      expect(surface()).to.equal('#fff');
      try {
        await emulateMedia({ colorScheme: 'dark' });
        expect(surface()).to.equal('#161b22');
        await expect(el).to.be.accessible();
        el.theme = 'light';
        await el.updateComplete;
        expect(surface()).to.equal('#fff');
        await expect(el).to.be.accessible();
      } finally {
        await emulateMedia({ colorScheme: 'light' });
      }
      el.theme = 'dark';
      await el.updateComplete;
      expect(surface()).to.equal('#161b22');
    });

    it('stops its animations when the system asks for reduced motion', async () => {
      const job = await tenant.enqueue('test.twostep');
      const el = await tile(tenant, { jobId: job.job_id });
      await stateIs(el, 'running');
      const spinner = inShadow(el, '.spin')!;
      const fill = inShadow(el, '[part=bar-fill]')!;
      expect(getComputedStyle(spinner).animationName).to.equal('spin');
      expect(getComputedStyle(fill).animationName).to.equal('slide');
      try {
        await emulateMedia({ reducedMotion: 'reduce' });
        expect(getComputedStyle(spinner).animationName).to.equal('none');
        // Still visibly indeterminate: a hatched track instead of a moving slice.
        expect(getComputedStyle(fill).display).to.equal('none');
        expect(getComputedStyle(bar(el)!).backgroundImage).to.contain('repeating-linear-gradient');
        await expect(el).to.be.accessible();
      } finally {
        await emulateMedia({ reducedMotion: 'no-preference' });
      }
      await release(job.job_id);
      await release(job.job_id);
    });

    it('has a forced-colors block that draws the badge and bar in system colours', async () => {
      const el = await tile(tenant, { kind: 'test.quick', target: uniqueTarget() });
      const rules = el.shadowRoot!.adoptedStyleSheets.flatMap((sheet) => [...sheet.cssRules]);
      const forced = rules.find((rule) => rule instanceof CSSMediaRule && rule.conditionText.includes('forced-colors')) as CSSMediaRule;
      expect(forced).to.not.equal(undefined);
      expect(forced.cssText.toLowerCase()).to.contain('canvastext').and.contain('highlight');
      await stateIs(el, 'idle');
      await expect(el).to.be.accessible();
    });
  });

  describe('on a page of running tiles', () => {
    /**
     * Records which tiles render, grouped by turn: the renders of one turn of the event
     * loop (one timer, one delivered batch) share a number.
     */
    function recordRenders() {
      const proto = customElements.get('job-status')!.prototype as { updated(changed: unknown): void };
      const original = proto.updated;
      const renders: Array<[number, Element]> = [];
      let turn = 0;
      let open = false;
      proto.updated = function (this: Element, changed: unknown) {
        if (!open) {
          open = true;
          turn++;
          setTimeout(() => (open = false));
        }
        renders.push([turn, this]);
        original.call(this, changed);
      };
      return {
        /** The tiles rendered in each turn so far, then recording stops. */
        stop() {
          proto.updated = original;
          const turns = new Map<number, Set<Element>>();
          for (const [n, el] of renders) turns.set(n, (turns.get(n) ?? new Set()).add(el));
          return [...turns.values()];
        },
      };
    }

    async function runningTiles(n: number) {
      const jobs = await Promise.all(Array.from({ length: n }, () => tenant.enqueue('test.twostep')));
      const page = await fixture<HTMLElement>(html`<job-status-provider base-url=${tenant.baseUrl}></job-status-provider>`);
      const els: JobStatusElement[] = [];
      for (const job of jobs) {
        // Tiles that arrive one after another, as on a page that grows.
        const el = document.createElement('job-status') as JobStatusElement;
        el.jobId = job.job_id;
        page.append(el);
        els.push(el);
        await stateIs(el, 'running');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return { jobs, els };
    }

    it('ticks the duration of every running tile together, in one turn', async () => {
      const { jobs, els } = await runningTiles(3);
      const recording = recordRenders();
      await new Promise((resolve) => setTimeout(resolve, 2300));
      const turns = recording.stop();
      expect(turns.length, 'clock ticks').to.be.greaterThan(1);
      for (const tiles of turns) expect(tiles.size, 'tiles rendered in one tick').to.equal(els.length);
      for (const job of jobs) {
        await release(job.job_id);
        await release(job.job_id);
      }
    });

    it('stops the spinner of a tile out of view, so a frame costs only the tiles in view', async () => {
      const job = await tenant.enqueue('test.twostep');
      const page = await fixture<HTMLElement>(html`<div><div style="height: 300vh"></div><job-status base-url=${tenant.baseUrl} job-id=${job.job_id}></job-status></div>`);
      const el = page.querySelector('job-status') as JobStatusElement;
      await stateIs(el, 'running');
      const spinning = () => getComputedStyle(inShadow(el, '.spin')!).animationPlayState === 'running';
      // An animation that exists, even paused, costs every frame the page draws.
      const animations = () => inShadow(el, '.spin')!.getAnimations().length;
      await waitFor(() => !spinning(), 'spinner paused out of view');
      await waitFor(() => animations() === 0, 'no animation out of view');
      el.scrollIntoView();
      await waitFor(spinning, 'spinner turning in view');
      await waitFor(() => animations() === 1, 'the spinner animates in view');
      await release(job.job_id);
      await release(job.job_id);
    });

    it('skips rendering a tile out of view, which still updates its text and live region', async () => {
      const job = await tenant.enqueue('test.twostep');
      const page = await fixture<HTMLElement>(html`<div><div style="height: 300vh"></div><job-status base-url=${tenant.baseUrl} job-id=${job.job_id}></job-status></div>`);
      const el = page.querySelector('job-status') as JobStatusElement;
      await stateIs(el, 'running');
      // Out of view, the browser neither styles, lays out nor paints the tile's content.
      const rendered = () => inShadow(el, '[part=base]')!.checkVisibility({ contentVisibilityAuto: true } as CheckVisibilityOptions);
      await waitFor(() => !rendered(), 'rendering skipped out of view');
      await release(job.job_id);
      await waitFor(() => textOf(inShadow(el, '[part=phase]')) === 'Step 2', 'Step 2, out of view');
      await release(job.job_id);
      await stateIs(el, 'success');
      expect(textOf(liveRegion(el))).to.include('Succeeded');
      el.scrollIntoView();
      await waitFor(rendered, 'rendered in view');
      await expect(el).to.be.accessible();
    });

    it('out of view, renders a running job\'s change at the clock\'s next tick, and at once in view', async () => {
      const job = await tenant.enqueue('test.twostep');
      const page = await fixture<HTMLElement>(html`<div><div style="height: 300vh"></div><job-status base-url=${tenant.baseUrl} job-id=${job.job_id}></job-status></div>`);
      const el = page.querySelector('job-status') as JobStatusElement;
      await stateIs(el, 'running');
      const phase = () => textOf(inShadow(el, '[part=phase]'));
      await waitFor(() => el.matches(':state(offscreen)'), 'out of view');
      // Just after a tick (the clocks tick on whole seconds), the change arrives: out of
      // view, the tile holds it until the next tick rather than drawing a frame for it.
      await waitFor(() => Date.now() % 1000 < 150, 'just after a tick');
      const second = Math.floor(Date.now() / 1000);
      await release(job.job_id);
      await waitFor(() => el.snapshot?.phase === 'Step 2', 'Step 2 heard');
      expect(Math.floor(Date.now() / 1000), 'still the same second').to.equal(second);
      expect(phase(), 'not drawn yet').to.equal('Step 1');
      // Brought into view, it shows the change at once, before the next tick.
      el.scrollIntoView();
      await waitFor(() => phase() === 'Step 2', 'Step 2 drawn in view');
      expect(Math.floor(Date.now() / 1000), 'before the next tick').to.equal(second);
      await release(job.job_id);
      await stateIs(el, 'success');
    });

    it('out of view, renders a change of state at once and announces it', async () => {
      const job = await tenant.enqueue('test.twostep');
      const page = await fixture<HTMLElement>(html`<div><div style="height: 300vh"></div><job-status base-url=${tenant.baseUrl} job-id=${job.job_id}></job-status></div>`);
      const el = page.querySelector('job-status') as JobStatusElement;
      await stateIs(el, 'running');
      await waitFor(() => el.matches(':state(offscreen)'), 'out of view');
      await release(job.job_id);
      await waitFor(() => el.snapshot?.phase === 'Step 2', 'Step 2 heard');
      await waitFor(() => Date.now() % 1000 < 150, 'just after a tick');
      const second = Math.floor(Date.now() / 1000);
      await release(job.job_id);
      await stateIs(el, 'success');
      expect(Math.floor(Date.now() / 1000), 'before the next tick').to.equal(second);
      expect(textOf(liveRegion(el))).to.include('Succeeded');
    });

    it('renders only the tile whose job changed', async () => {
      const { jobs, els } = await runningTiles(3);
      const [moved] = els;
      const recording = recordRenders();
      await release(jobs[0]!.job_id);
      await waitFor(() => textOf(inShadow(moved!, '[part=phase]')) === 'Step 2', 'Step 2');
      const turns = recording.stop();
      // Besides the clock's ticks (every tile, together), only the moved tile renders.
      for (const tiles of turns) {
        if (tiles.size !== els.length) expect([...tiles]).to.deep.equal([moved]);
      }
      for (const job of jobs) {
        await release(job.job_id);
        await release(job.job_id);
      }
    });
  });

  describe('on a page of 20 tiles', () => {
    it('opens one stream, inside a provider or without one', async () => {
      for (const withProvider of [true, false]) {
        const t = await newTenant();
        const jobs = await Promise.all(Array.from({ length: 20 }, () => t.enqueue('test.gated')));
        const tiles = jobs.map((job) => html`<job-status job-id=${job.job_id} base-url=${withProvider ? '' : t.baseUrl}></job-status>`);
        const page = await fixture<HTMLElement>(
          withProvider
            ? html`<job-status-provider base-url=${t.baseUrl}>${tiles}</job-status-provider>`
            : html`<div>${tiles}</div>`,
        );
        const els = [...page.querySelectorAll('job-status')];
        await waitFor(() => els.every((el) => el.state === 'running'), '20 running tiles');
        await Promise.all(jobs.map((job) => release(job.job_id)));
        await waitFor(() => els.every((el) => el.state === 'success'), '20 finished tiles');
        expect(await t.streamsOpened(), withProvider ? 'with provider' : 'without provider').to.equal(1);
        await expect(page).to.be.accessible();
      }
    });
  });
});
