import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TERMINAL, demoForFile } from './demo-for-file.js';
import { signIn, watchErrors } from './harness.js';

const demo = demoForFile(1);

async function adminPage(path: string, viewport = { width: 1280, height: 900 }) {
  const context = await demo.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, demo.server.url, 'admin');
  await page.goto(`${demo.server.url}${path}`);
  return { page, errors, close: () => context.close() };
}

/** What an element says, from its shadow root. */
const textIn = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => (el.shadowRoot ?? el).textContent?.replace(/\s+/g, ' ').trim() ?? '');
const stateOf = (page: Page, selector: string) => page.locator(selector).getAttribute('state');
const settled = (page: Page, selector: string) =>
  page.waitForFunction(([sel, terminal]) => terminal.includes(document.querySelector(sel)?.getAttribute('state') ?? ''), [selector, TERMINAL] as const, {
    timeout: 20_000,
  });

/** Saves a bad key through the page's route, as the form does, and waits until its verification failed. */
async function failedVerification(page: Page) {
  const headers = { accept: 'application/json', origin: demo.server.url };
  const saved = await page.request.post(`${demo.server.url}/admin/dedalus/key`, { form: { api_key: 'bad-key' }, headers });
  const { job_id } = (await saved.json()) as { job_id: string };
  await expect.poll(async () => ((await (await page.request.get(`${demo.server.url}/api/admin/jobs/${job_id}`)).json()) as { state: string }).state, { timeout: 20_000 }).toBe('failed');
  return job_id;
}

describe('the admin’s eye, end to end in Chromium', () => {
  it('saves a Dedalus key: a blank one is explained, a good one verified, a bad one unverifies the page', async () => {
    const { page, errors, close } = await adminPage('/admin/dedalus');
    const save = page.getByRole('button', { name: 'Save API key' });
    // Before any save the tile is idle with its own words, not "Loading status…" for ever.
    await expect.poll(() => stateOf(page, '#save-tile')).toBe('idle');
    expect(await textIn(page, '#save-tile')).toContain('Saving a key verifies it at once.');
    expect(await page.locator('#verified-at').innerText()).toBe('never (no key saved)');

    // Blank, then whitespace: a visible answer under the field, and no job.
    for (const blank of ['', '   ']) {
      await page.locator('#api-key').fill(blank);
      await save.click();
      await expect.poll(() => page.locator('#key-error').isVisible()).toBe(true);
      expect(await page.locator('#key-error').innerText()).toMatch(/cannot be blank/);
      expect(await page.locator('#api-key').getAttribute('aria-invalid')).toBe('true');
    }
    expect(await stateOf(page, '#save-tile')).toBe('idle');

    // A good key: the button stays disabled while the verification runs.
    await page.locator('#api-key').fill('ddl_live_0123456789');
    await save.click();
    expect(await page.locator('#key-error').isVisible()).toBe(false);
    await page.waitForFunction(() => document.querySelector('#save-tile')?.getAttribute('state') === 'running');
    expect(await save.isDisabled()).toBe(true);
    expect(await save.getAttribute('aria-busy')).toBe('true');
    await settled(page, '#save-tile');
    expect(await stateOf(page, '#save-tile')).toBe('success');
    await expect.poll(() => save.isEnabled()).toBe(true);
    await expect.poll(() => page.locator('#verified-at time').count()).toBe(1);

    // A bad key: the old success no longer speaks for the key in use, now or after a reload.
    await page.locator('#api-key').fill('bad-key');
    await save.click();
    await page.waitForFunction(() => document.querySelector('#save-tile')?.getAttribute('state') === 'running');
    await settled(page, '#save-tile');
    expect(await stateOf(page, '#save-tile')).toBe('failed');
    expect(await textIn(page, '#save-tile')).toMatch(/Dedalus rejected the API key\..*fresh key.*saving verifies it/);
    await expect.poll(() => page.locator('#verified-at').innerText()).toBe('not verified: Dedalus rejected the API key.');
    await page.reload();
    expect(await page.locator('#verified-at').innerText()).toBe('not verified: Dedalus rejected the API key.');
    expect(errors).toEqual([]);
    await close();
  });

  it('keeps the dashboard’s filters in the URL, so a reload or a bookmark shows the same view', async () => {
    const { page, close } = await adminPage('/admin/jobs');
    await failedVerification(page);
    const list = page.locator('job-list');
    const kind = list.getByRole('searchbox', { name: /kind/i });
    await kind.fill('dedalus.verify');
    await kind.press('Enter');
    await list.getByRole('combobox', { name: 'State' }).selectOption('failed');
    await expect.poll(() => Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ state: 'failed', kind: 'dedalus.verify' });
    await page.reload();
    expect(await kind.inputValue()).toBe('dedalus.verify');
    expect(await list.getByRole('combobox', { name: 'State' }).inputValue()).toBe('failed');
    const rows = list.locator('tbody tr[data-job-id]');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    expect(await rows.evaluateAll((all) => all.every((row) => row.getAttribute('data-state') === 'failed' && row.textContent!.includes('dedalus.verify')))).toBe(true);
    // A failed row says why.
    expect(await rows.first().locator('[part~="row-error"]').innerText()).toBe('Dedalus rejected the API key.');
    await close();
  });

  it('works on a 390 px phone: every column of a row is on screen, named, without a sideways scroll', async () => {
    const { page, close } = await adminPage('/admin/jobs', { width: 390, height: 844 });
    await failedVerification(page);
    const row = page.locator('job-list tbody tr[data-job-id]').first();
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.locator('th, td').evaluateAll((all) =>
      all.map((cell) => ({ label: cell.getAttribute('data-label'), right: cell.getBoundingClientRect().right, named: getComputedStyle(cell, '::before').content })),
    );
    expect(cells.map((cell) => cell.label)).toEqual(['Action', 'Kind', 'Target', 'State', 'Progress', 'Started by', 'Started', 'Duration']);
    for (const cell of cells) {
      expect(cell.right, cell.label!).toBeLessThanOrEqual(390);
      expect(cell.named).toBe(`"${cell.label}"`);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await close();
  });

  it('says on the pause toggle what pressing it does, and keeps "N new jobs" in view while scrolled', async () => {
    const { page, close } = await adminPage('/admin/jobs', { width: 1280, height: 500 });
    const list = page.locator('job-list');
    await list.getByRole('button', { name: 'Pause live updates' }).click();
    await expect.poll(() => list.getByRole('button', { name: 'Resume live updates' }).count()).toBe(1);
    await page.request.post(`${demo.server.url}/admin/dedalus/verify`, { headers: { accept: 'application/json', origin: demo.server.url } });
    await page.mouse.wheel(0, 400);
    const badge = list.locator('[part~="new-jobs"]');
    await expect.poll(() => badge.count(), { timeout: 15_000 }).toBe(1);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const box = await badge.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(500);
    await close();
  });

  it('ends a failed job’s log with the failure, and offers "Run again" on its detail page', async () => {
    const { page, close } = await adminPage('/admin/jobs');
    const id = await failedVerification(page);
    await page.goto(`${demo.server.url}/admin/jobs/${id}`);
    await page.waitForFunction(() => document.querySelector('job-detail')?.getAttribute('state') === 'failed');
    const lastLine = page.locator('job-detail [part~="log-line"]').last();
    await expect.poll(() => lastLine.getAttribute('data-level')).toBe('error');
    expect(await lastLine.innerText()).toMatch(/Dedalus rejected the API key/);
    const before = page.url();
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForURL((url) => url.href !== before && /\/admin\/jobs\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.waitForFunction(() => ['queued', 'running', 'failed'].includes(document.querySelector('job-detail')?.getAttribute('state') ?? ''));
    await settled(page, 'job-detail');
    expect(await stateOf(page, 'job-detail')).toBe('failed');
    await close();
  });

  it('asks before "Cancel job" stops a running push', async () => {
    const { page, close } = await adminPage('/admin/sync-control');
    await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
    await page.waitForFunction(() => document.querySelector('#push-peer-b')?.getAttribute('state') === 'running');
    const id = await page.evaluate(() => (document.querySelector('#push-peer-b') as unknown as { snapshot: { job_id: string } }).snapshot.job_id);
    await page.goto(`${demo.server.url}/admin/jobs/${id}`);
    const detail = page.locator('job-detail');
    await detail.getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(() => detail.getByRole('group').innerText()).toMatch(/Stop this job now\?/);
    expect(await stateOf(page, 'job-detail')).toBe('running');
    await detail.getByRole('button', { name: 'Yes, cancel it' }).click();
    await settled(page, 'job-detail');
    expect(await stateOf(page, 'job-detail')).toBe('canceled');
    await close();
  });

  it('reads well without JavaScript: no raw ISO times, no "Succeeded : …"', async () => {
    const context = await demo.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, demo.server.url, 'admin');
    await failedVerification(page);
    await page.goto(`${demo.server.url}/admin/dedalus`);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    expect(text).not.toMatch(/\s:\s/);
    expect(text).toMatch(/Failed: Dedalus rejected the API key\./);
    expect(text).toMatch(/\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC/);
    await context.close();
  });
});
