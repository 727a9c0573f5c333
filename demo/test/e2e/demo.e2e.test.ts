import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TERMINAL, demoForFile } from './demo-for-file.js';
import { signIn, watchErrors } from './harness.js';

const demo = demoForFile(0.3);

/**
 * A fresh signed-in admin page, with page loads counted: a marker left in the page is gone
 * after a reload (a URL change through `history.replaceState`, as the dashboard's filters
 * make, is no reload).
 */
async function adminPage(path: string) {
  const page = await demo.browser.newPage();
  const errors = watchErrors(page);
  await signIn(page, demo.server.url, 'admin');
  await page.goto(`${demo.server.url}${path}`);
  await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
  const navigations = async () => ((await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)) ? 0 : 1);
  return { page, errors, navigations };
}

/** Every state the tile reflects, in order, as it changes (recorded in the page). */
async function recordStates(page: Page, selector: string) {
  await page.evaluate((sel) => {
    const tile = document.querySelector(sel)!;
    const seen: string[] = [tile.getAttribute('state') ?? ''];
    (window as unknown as Record<string, string[]>)[`states:${sel}`] = seen;
    new MutationObserver(() => {
      const state = tile.getAttribute('state') ?? '';
      if (seen.at(-1) !== state) seen.push(state);
    }).observe(tile, { attributes: true, attributeFilter: ['state'] });
  }, selector);
  return () => page.evaluate((sel) => (window as unknown as Record<string, string[]>)[`states:${sel}`]!, selector);
}

/** What the tile says, from its shadow root (where the elements render). */
function tileText(page: Page, selector: string) {
  return page.locator(selector).evaluate((el) => (el.shadowRoot ?? el).textContent?.replace(/\s+/g, ' ').trim() ?? '');
}

async function settledState(page: Page, selector: string, timeout = 20_000) {
  await page.waitForFunction(
    ([sel, terminal]) => terminal.includes(document.querySelector(sel)?.getAttribute('state') ?? ''),
    [selector, TERMINAL] as const,
    { timeout },
  );
  return page.locator(selector).getAttribute('state');
}

describe('demo, end to end in Chromium', () => {
  it('shows a push live from idle to its outcome with its times, without a reload', async () => {
    const { page, errors, navigations } = await adminPage('/admin/sync-control');
    const tile = '#push-peer-a';
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('state') === 'idle', tile);
    const states = await recordStates(page, tile);
    const button = page.locator('job-trigger[kind="sync.push"][target="peer-a"] button');
    await button.click();
    expect(await settledState(page, tile)).toBe('success');
    const seen = await states();
    expect(seen[0]).toBe('idle');
    expect(seen).toContain('queued');
    expect(seen).toContain('running');
    await expect.poll(() => page.locator(`${tile} time`).count()).toBeGreaterThanOrEqual(2);
    expect(await tileText(page, tile)).toMatch(/Pushed 120 files to peer-a/);
    expect(await navigations()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('counts a push in the Prometheus metrics, and reports itself ready', async () => {
    const { page } = await adminPage('/admin/sync-control');
    await page.locator('job-trigger[kind="sync.push"][target="peer-c"] button').click();
    expect(await settledState(page, '#push-peer-c')).toBe('success');
    await page.close();
    // As Prometheus scrapes it: no session, plain text.
    const scrape = await fetch(`${demo.server.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scrape.text();
    const sample = (name: string, labels: string) => text.split('\n').find((line) => line.startsWith(`${name}{`) && line.includes(labels));
    expect(sample('job_status_jobs_enqueued_total', 'job_status_kind="sync.push"')).toMatch(/ [1-9]\d*$/);
    expect(sample('job_status_jobs_settled_total', 'job_status_state="success"')).toMatch(/ [1-9]\d*$/);
    expect(sample('job_status_job_duration_count', 'job_status_kind="sync.push"')).toMatch(/ [1-9]\d*$/);
    expect(text).toMatch(/^job_status_streams_open(\{[^}]*\})? \d+$/m);
    const health = await fetch(`${demo.server.url}/api/admin/jobs/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ready: true, store: 'ok', bus: 'connected' });
  });

  it('keeps the button disabled while the job is busy, and enables it after', async () => {
    const { page } = await adminPage('/admin/sync-control');
    const button = page.locator('job-trigger[kind="sync.push"][target="peer-b"] button');
    await expect.poll(() => button.isEnabled()).toBe(true);
    await button.click();
    await expect.poll(() => button.isDisabled(), { timeout: 2000 }).toBe(true);
    expect(await button.getAttribute('aria-busy')).toBe('true');
    await settledState(page, '#push-peer-b');
    await expect.poll(() => button.isEnabled()).toBe(true);
    await page.close();
  });

  it('tracks two concurrent pushes separately', async () => {
    const { page } = await adminPage('/admin/sync-control');
    await page.locator('job-trigger[kind="sync.push"][target="peer-a"] button').click();
    await page.locator('job-trigger[kind="sync.push"][target="peer-c"] button').click();
    const [a, c] = await Promise.all([settledState(page, '#push-peer-a'), settledState(page, '#push-peer-c')]);
    expect([a, c]).toEqual(['success', 'success']);
    expect(await tileText(page, '#push-peer-a')).toMatch(/peer-a/);
    expect(await tileText(page, '#push-peer-c')).toMatch(/peer-c/);
    await page.close();
  });

  it('pulls from an unsigned peer as a warning awaiting approval, and applies it when allowed', async () => {
    const { page } = await adminPage('/admin/sync-control');
    const trigger = page.locator('job-trigger[kind="sync.pull"][target="peer-c"] button');
    await trigger.click();
    expect(await settledState(page, '#pull-peer-c')).toBe('warning');
    expect(await tileText(page, '#pull-peer-c')).toMatch(/awaiting approval/);
    await expect.poll(() => trigger.isEnabled()).toBe(true);
    await page.locator('#peer-c input[name="allow_unsigned"]').check();
    await trigger.click();
    await page.waitForFunction(() => document.querySelector('#pull-peer-c')?.getAttribute('state') !== 'warning');
    expect(await settledState(page, '#pull-peer-c')).toBe('success');
    await page.close();
  });

  it('fails a verification with a bad key, with a hint the admin can act on', async () => {
    const { page } = await adminPage('/admin/dedalus');
    await page.locator('#api-key').fill('bad-key');
    await page.getByRole('button', { name: 'Save API key' }).click();
    expect(await settledState(page, '#save-tile')).toBe('failed');
    expect(await tileText(page, '#save-tile')).toMatch(/fresh key/);
    await page.getByRole('button', { name: 'Verify connection' }).click();
    expect(await settledState(page, '#verify-tile')).toBe('failed');
    expect(await tileText(page, '#verify-tile')).toMatch(/rejected/);
    // A good key: the "last verified" time on the page follows the success.
    expect(await tileText(page, '#verified-at')).toMatch(/^never|^not verified/);
    await page.locator('#api-key').fill('ddl_live_0123456789');
    await page.getByRole('button', { name: 'Save API key' }).click();
    await page.waitForFunction(() => document.querySelector('#save-tile')?.getAttribute('state') === 'success', null, { timeout: 20_000 });
    await expect.poll(() => page.locator('#verified-at time').count()).toBe(1);
    await page.close();
  });

  it('reaches the terminal state by polling when the event stream is blocked, polling at most 3 s apart', async () => {
    const page = await demo.browser.newPage();
    await signIn(page, demo.server.url, 'admin');
    await page.route('**/api/admin/jobs/events**', (route) => route.abort());
    // Every poll the page makes once the job exists: by id, or for the newest job of the tile.
    const polls: number[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() === 'GET' && url.pathname === '/api/admin/jobs' && url.search) polls.push(Date.now());
    });
    await page.goto(`${demo.server.url}/admin/sync-control`);
    await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
    const clicked = Date.now();
    expect(await settledState(page, '#push-peer-b', 30_000)).toBe('success');
    const during = polls.filter((at) => at >= clicked);
    expect(during.length).toBeGreaterThanOrEqual(2);
    const gaps = during.slice(1).map((at, i) => at - during[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3000 + 500);
    await page.close();
  });

  it('shows on the dashboard a job started from another page, without reload, keeping its filter', async () => {
    const dashboard = await adminPage('/admin/jobs');
    const list = dashboard.page.locator('job-list');
    const kindFilter = list.getByRole('searchbox', { name: /kind/i });
    await kindFilter.fill('sync.pull');
    await kindFilter.press('Enter');
    await expect.poll(() => list.locator('tbody tr[data-job-id]').evaluateAll((rows) => rows.every((row) => row.textContent?.includes('sync.pull')))).toBe(true);
    const rows = list.locator('tbody tr[data-job-id]');
    const before = await rows.count();
    const other = await adminPage('/admin/sync-control');
    await other.page.locator('job-trigger[kind="sync.pull"][target="peer-a"] button').click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(before + 1);
    expect(await kindFilter.inputValue()).toBe('sync.pull');
    expect(await rows.first().textContent()).toMatch(/Pull from peer-a/);
    expect(await dashboard.navigations()).toBe(0);
    await settledState(other.page, '#pull-peer-a');
    await dashboard.page.close();
    await other.page.close();
  });

  it('shows log lines on the detail page as they arrive', async () => {
    const { page } = await adminPage('/admin/sync-control');
    await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
    await page.waitForFunction(() => document.querySelector('#push-peer-b')?.getAttribute('state') === 'running');
    const id = await page.evaluate(() => (document.querySelector('#push-peer-b') as unknown as { snapshot: { job_id: string } }).snapshot.job_id);
    await page.goto(`${demo.server.url}/admin/jobs/${id}`);
    const lines = page.locator('job-detail [part~="log"] li, job-detail [part~="log-line"]');
    await expect.poll(() => lines.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const first = await lines.count();
    await expect.poll(() => lines.count(), { timeout: 20_000 }).toBeGreaterThan(first);
    await page.close();
  });

  it('ends a running tile as interrupted, with its hint, when the server restarts mid-job', async () => {
    const { page, navigations } = await adminPage('/admin/sync-control');
    await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
    await page.waitForFunction(() => document.querySelector('#push-peer-b')?.getAttribute('state') === 'running');
    await demo.server.kill();
    await demo.server.start();
    expect(await settledState(page, '#push-peer-b', 30_000)).toBe('failed');
    expect(await tileText(page, '#push-peer-b')).toMatch(/run the action again/i);
    expect(await navigations()).toBe(0);
    await page.close();
  });

  it('shows the viewer a clear admins-only page', async () => {
    const page = await demo.browser.newPage();
    await signIn(page, demo.server.url, 'viewer');
    const response = await page.goto(`${demo.server.url}/admin/sync-control`);
    expect(response!.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Admins only');
    await page.close();
  });
});
