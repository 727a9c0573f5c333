/**
 * Starts the demo, drives it like an admin would, and writes pictures of each page into
 * docs/images/. Run with `npm run screenshots`.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { DemoServer, launchBrowser, signIn } from '../test/e2e/harness.js';

const OUT = fileURLToPath(new URL('../../docs/images/', import.meta.url));
mkdirSync(OUT, { recursive: true });

const server = new DemoServer(1);
await server.start();
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, colorScheme: 'light' });
  const page = await context.newPage();
  await signIn(page, server.url, 'admin');
  const shot = async (target: Page, name: string) => {
    await target.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
    console.log(`wrote docs/images/${name}.png`);
  };
  const waitState = (selector: string, states: string[]) =>
    page.waitForFunction(([sel, wanted]) => wanted.includes(document.querySelector(sel)?.getAttribute('state') ?? ''), [selector, states] as const, { timeout: 60_000 });

  // Sync control mid-run: one push done, one running, one pull waiting for approval.
  await page.goto(`${server.url}/admin/sync-control`);
  await page.locator('job-trigger[kind="sync.pull"][target="peer-c"] button').click();
  await waitState('#pull-peer-c', ['warning']);
  await page.locator('job-trigger[kind="sync.push"][target="peer-a"] button').click();
  await waitState('#push-peer-a', ['success', 'failed']);
  await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
  await page.waitForFunction(() => {
    const tile = document.querySelector('#push-peer-b') as (Element & { snapshot?: { progress?: { percent?: number } } }) | null;
    return (tile?.snapshot?.progress?.percent ?? 0) >= 30;
  }, null, { timeout: 60_000 });
  await shot(page, 'sync-control');
  await waitState('#push-peer-b', ['success', 'failed']);

  // A failed verification with its hint.
  await page.goto(`${server.url}/admin/dedalus`);
  await page.locator('#api-key').fill('bad-key');
  await page.getByRole('button', { name: 'Save API key' }).click();
  await waitState('#save-tile', ['failed']);
  await shot(page, 'dedalus-failed');

  // The dashboard, and one job's detail.
  await page.goto(`${server.url}/admin/jobs`);
  await page.waitForFunction(() => (document.querySelector('job-list')?.shadowRoot?.querySelectorAll('tbody tr').length ?? 0) > 0);
  await shot(page, 'jobs');
  const { jobs } = (await (await page.request.get(`${server.url}/api/admin/jobs?kind=sync.push&target=peer-b&limit=1`)).json()) as { jobs: Array<{ job_id: string }> };
  await page.goto(`${server.url}/admin/jobs/${jobs[0]!.job_id}`);
  await page.waitForTimeout(500);
  await shot(page, 'job-detail');
} finally {
  await browser.close();
  await server.stop();
}
