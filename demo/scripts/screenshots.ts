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

  // Three earlier pushes to peer-b make a history: the running one below can say how long is left.
  await page.goto(`${server.url}/admin/sync-control`);
  for (let i = 0; i < 3; i++) {
    await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
    await page.waitForFunction(() => document.querySelector('#push-peer-b')?.getAttribute('state') === 'running', null, { timeout: 60_000 });
    await waitState('#push-peer-b', ['success', 'failed']);
  }

  // Sync control mid-run: one push done, one running with the time left, one pull waiting for approval.
  await page.locator('job-trigger[kind="sync.pull"][target="peer-c"] button').click();
  await waitState('#pull-peer-c', ['warning']);
  await page.locator('job-trigger[kind="sync.push"][target="peer-a"] button').click();
  await waitState('#push-peer-a', ['success', 'failed']);
  await page.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
  await page.waitForFunction(() => {
    const tile = document.querySelector('#push-peer-b') as (Element & { snapshot?: { progress?: { percent?: number } } }) | null;
    return (tile?.snapshot?.progress?.percent ?? 0) >= 30 && !!tile?.shadowRoot?.querySelector('[part~="time-left"]');
  }, null, { timeout: 60_000 });
  await shot(page, 'sync-control');
  await waitState('#push-peer-b', ['success', 'failed']);

  // A failed verification with its hint.
  await page.goto(`${server.url}/admin/dedalus`);
  await page.locator('#api-key').fill('bad-key');
  await page.getByRole('button', { name: 'Save API key' }).click();
  await waitState('#save-tile', ['failed']);
  await shot(page, 'dedalus-failed');

  // The dashboard with a push running (its time left) and a failure that says why, on a
  // desktop and on a phone; then one job's detail.
  await page.goto(`${server.url}/admin/jobs`);
  await page.evaluate(async () => {
    await fetch('/admin/sync-control/push', { method: 'POST', body: new URLSearchParams({ peer: 'peer-b' }), headers: { accept: 'application/json' } });
    // Found now rather than at the list's next refresh.
    await (document.querySelector('job-list') as unknown as { refresh(): Promise<void> }).refresh();
  });
  await page.waitForFunction(() => !!document.querySelector('job-list')?.shadowRoot?.querySelector('tbody tr[data-state="running"] [part~="time-left"]'), null, { timeout: 60_000 });
  await shot(page, 'jobs');
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, colorScheme: 'dark' });
  const phonePage = await phone.newPage();
  await signIn(phonePage, server.url, 'admin');
  await phonePage.goto(`${server.url}/admin/jobs?kind=sync.push`);
  await phonePage.waitForFunction(() => (document.querySelector('job-list')?.shadowRoot?.querySelectorAll('tbody tr').length ?? 0) > 0);
  await shot(phonePage, 'jobs-phone');
  await phone.close();
  const newestPush = async () =>
    ((await (await page.request.get(`${server.url}/api/admin/jobs?kind=sync.push&target=peer-b&limit=1`)).json()) as { jobs: Array<{ job_id: string; state: string }> }).jobs;
  let jobs = await newestPush();
  while (['queued', 'running'].includes(jobs[0]!.state)) {
    await page.waitForTimeout(250);
    jobs = await newestPush();
  }
  await page.goto(`${server.url}/admin/jobs/${jobs[0]!.job_id}`);
  await page.waitForTimeout(500);
  await shot(page, 'job-detail');
} finally {
  await browser.close();
  await server.stop();
}
