import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { demoForFile } from './demo-for-file.js';
import { signIn, watchErrors } from './harness.js';

// Slow jobs (a push runs about 37 s), so one stays busy through a whole observation.
const demo = demoForFile(10);

const STREAM = '/api/admin/jobs/events';

/** A signed-in admin page on `path`, recording every request it makes from now on. */
async function adminPage(path: string) {
  const page = await demo.browser.newPage();
  const errors = watchErrors(page);
  await signIn(page, demo.server.url, 'admin');
  const requests: { at: number; method: string; path: string }[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    requests.push({ at: Date.now(), method: request.method(), path: url.pathname + url.search });
  });
  await page.goto(`${demo.server.url}${path}`);
  return { page, errors, requests };
}

/** Starts a job through the API with the page's session, as another tab of the same admin would. */
async function startJob(page: Page, kind: string, target: string) {
  const response = await page.request.post(`${demo.server.url}/api/admin/jobs`, {
    data: { kind, target },
    headers: { origin: demo.server.url },
  });
  expect(response.status()).toBe(202);
  return (await response.json()).initial_status.job_id as string;
}

const cancel = (page: Page, id: string) => page.request.post(`${demo.server.url}/api/admin/jobs/${id}/cancel`, { headers: { origin: demo.server.url } });

/** Waits until the page has made no request but the stream for `quietMs` (the page load and its catch-up are over). */
async function settled(requests: { at: number; path: string }[], quietMs = 1500) {
  await expect
    .poll(() => Date.now() - Math.max(0, ...requests.filter((r) => !r.path.startsWith(STREAM)).map((r) => r.at)), { timeout: 20_000 })
    .toBeGreaterThan(quietMs);
}

describe('views live over the stream, in Chromium against the demo', () => {
  it('/admin/jobs makes no request besides the stream for 30 s while jobs run', async () => {
    const { page, requests, errors } = await adminPage('/admin/jobs');
    const running = await startJob(page, 'sync.push', 'peer-a');
    const list = page.locator('job-list');
    await expect.poll(() => list.locator(`tbody tr[data-job-id="${running}"]`).count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => list.locator('[part~="connection"]').innerText()).toBe('Live');
    await settled(requests);
    const from = Date.now();
    const progress = () => list.locator(`tr[data-job-id="${running}"] [role=progressbar]`).getAttribute('aria-valuetext');
    const before = await progress();
    await page.waitForTimeout(30_000);
    const during = requests.filter((r) => r.at >= from);
    expect(during.filter((r) => !r.path.startsWith(STREAM))).toEqual([]);
    // The row moved on meanwhile: the stream carried it.
    expect(await progress()).not.toBe(before);
    await cancel(page, running);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('/admin/jobs/:id makes no request besides the stream for 30 s while the job runs and logs', async () => {
    const setup = await demo.browser.newPage();
    await signIn(setup, demo.server.url, 'admin');
    const id = await startJob(setup, 'sync.push', 'peer-b');
    await setup.close();
    const { page, requests, errors } = await adminPage(`/admin/jobs/${id}`);
    const detail = page.locator('job-detail');
    await expect.poll(() => detail.getAttribute('state'), { timeout: 10_000 }).toBe('running');
    await settled(requests);
    const from = Date.now();
    const lines = detail.locator('[part~="log-line"]');
    const before = await lines.count();
    await page.waitForTimeout(30_000);
    expect(requests.filter((r) => r.at >= from && !r.path.startsWith(STREAM))).toEqual([]);
    // Log lines kept arriving: over the stream.
    expect(await lines.count()).toBeGreaterThan(before);
    await cancel(page, id);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('shows a job started elsewhere in the list within 1 s', async () => {
    const { page, requests, errors } = await adminPage('/admin/jobs');
    const list = page.locator('job-list');
    await expect.poll(() => list.locator('[part~="connection"]').innerText(), { timeout: 10_000 }).toBe('Live');
    await settled(requests);
    // When each row appeared, recorded in the page.
    await page.evaluate(() => {
      const root = document.querySelector('job-list')!.shadowRoot!;
      const seen: Record<string, number> = ((window as unknown as { rowsSeen: Record<string, number> }).rowsSeen = {});
      new MutationObserver(() => {
        for (const row of root.querySelectorAll<HTMLElement>('tr[data-job-id]')) seen[row.dataset.jobId!] ??= Date.now();
      }).observe(root, { childList: true, subtree: true });
    });
    for (const target of ['peer-a', 'peer-c']) {
      const other = await demo.browser.newPage();
      await signIn(other, demo.server.url, 'admin');
      const started = Date.now();
      const id = await startJob(other, 'sync.pull', target);
      await expect
        .poll(() => page.evaluate((job) => (window as unknown as { rowsSeen: Record<string, number> }).rowsSeen[job], id), { timeout: 5000 })
        .toBeDefined();
      const appeared = await page.evaluate((job) => (window as unknown as { rowsSeen: Record<string, number> }).rowsSeen[job]!, id);
      expect(appeared - started).toBeLessThanOrEqual(1000);
      // It came over the stream: the list asked the server nothing meanwhile.
      const asked = requests.filter((r) => r.at >= started && r.at <= appeared && !r.path.startsWith(STREAM));
      expect(asked).toEqual([]);
      await cancel(other, id);
      await other.close();
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
