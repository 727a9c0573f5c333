import { afterAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { TERMINAL, demoForFile } from './demo-for-file.js';
import { signIn, watchErrors } from './harness.js';

const TABS = 12;
// Full-length jobs (a push takes ~4 s): long enough to close a tab in the middle of one.
const demo = demoForFile(1);

/**
 * One signed-in browser (ONE context: one cookie jar, one set of Web Locks and
 * BroadcastChannels, one HTTP/1.1 pool of six connections per host) with `count` tabs
 * of `path` opened one after the other. Records every event-stream request and which
 * tab made it.
 */
async function openTabs(count: number, path: string) {
  const context = await demo.browser.newContext();
  const streams: Array<{ page: Page; at: number }> = [];
  const errors: string[] = [];
  const login = await context.newPage();
  await signIn(login, demo.server.url, 'admin');
  await login.close();
  const pages: Page[] = [];
  const loadTimes: number[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    errors.push(...watchErrors(page));
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith('/events')) streams.push({ page, at: Date.now() });
    });
    const start = Date.now();
    await page.goto(`${demo.server.url}${path}`, { timeout: 8_000 });
    // Loaded: the tile knows its newest job (or that there is none), so its fetch went through.
    await page.waitForFunction(() => document.querySelector('#push-peer-a')?.getAttribute('state'), null, { timeout: 8_000 });
    loadTimes.push(Date.now() - start);
    pages.push(page);
  }
  return { context, pages, streams, errors, loadTimes };
}

/** What the page's shared client says about its connection. */
const connectionOf = (page: Page) =>
  page.evaluate(() => (document.querySelector('job-status-provider') as unknown as { client: { connection: { state: string } } }).client.connection.state);

/** Makes the page report itself hidden or visible and tells it, as the browser would on a tab switch. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((value) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

const stateOf = (page: Page, selector: string) =>
  page.evaluate((sel) => document.querySelector(sel)?.getAttribute('state') ?? '', selector);

/** Records every state a tile shows, in the page, from now on. */
async function recordStates(page: Page, selector: string) {
  await page.evaluate((sel) => {
    const tile = document.querySelector(sel)!;
    const seen = [tile.getAttribute('state') ?? ''];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => {
      const state = tile.getAttribute('state') ?? '';
      if (seen.at(-1) !== state) seen.push(state);
    }).observe(tile, { attributes: true, attributeFilter: ['state'] });
  }, selector);
  return () => page.evaluate(() => (window as unknown as { seen: string[] }).seen);
}

async function settle(page: Page, selector: string) {
  await page.waitForFunction(
    ([sel, terminal]) => terminal.includes(document.querySelector(sel)?.getAttribute('state') ?? ''),
    [selector, TERMINAL] as const,
    { timeout: 20_000 },
  );
  return stateOf(page, selector);
}

describe('many tabs of the demo in one browser', () => {
  const contexts: BrowserContext[] = [];
  afterAll(() => Promise.all(contexts.map((c) => c.close())));

  it(`loads all ${TABS} tabs, holds one event stream in total, and a click in any tab updates every tab`, async () => {
    const { context, pages, streams, errors, loadTimes } = await openTabs(TABS, '/admin/sync-control');
    contexts.push(context);
    expect(pages).toHaveLength(TABS);
    console.log(`[tabs] ${TABS} tabs loaded in ${loadTimes.join(', ')} ms`);

    // A click in the last tab opened (a follower): every tab's tile follows the job.
    const tile = '#push-peer-b';
    const recorders = await Promise.all(pages.map((page) => recordStates(page, tile)));
    await pages.at(-1)!.locator('job-trigger[kind="sync.push"][target="peer-b"] button').click();
    const outcomes = await Promise.all(pages.map((page) => settle(page, tile)));
    expect(outcomes).toEqual(pages.map(() => 'success'));
    for (const states of await Promise.all(recorders.map((read) => read()))) expect(states).toContain('running');

    const t0 = streams[0]!.at;
    console.log(`[tabs] streams opened by tab: ${streams.map((s) => `#${pages.indexOf(s.page) + 1} at +${s.at - t0} ms`).join(', ')}`);
    expect(streams).toHaveLength(1);
    expect(errors).toEqual([]);
  }, 120_000);

  it('hands the stream over within 1 s when the leader tab closes mid-job, and every tab reaches the outcome', async () => {
    const { context, pages, streams } = await openTabs(4, '/admin/sync-control');
    contexts.push(context);
    const tile = '#push-peer-c';
    expect(streams).toHaveLength(1);
    const leader = streams[0]!.page;
    const followers = pages.filter((page) => page !== leader);
    const recorders = await Promise.all(followers.map((page) => recordStates(page, tile)));
    await followers[0]!.locator('job-trigger[kind="sync.push"][target="peer-c"] button').click();
    await Promise.all(followers.map((page) => page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('state') === 'running', tile)));

    const closedAt = Date.now();
    await leader.close({ runBeforeUnload: false });
    await expect.poll(() => streams.length, { timeout: 5_000, interval: 20 }).toBe(2);
    const handOver = streams[1]!.at - closedAt;
    console.log(`[tabs] hand-over after the leader closed: ${handOver} ms`);
    expect(handOver).toBeLessThan(1_000);

    const outcomes = await Promise.all(followers.map((page) => settle(page, tile)));
    expect(outcomes).toEqual(followers.map(() => 'success'));
    for (const states of await Promise.all(recorders.map((read) => read()))) {
      // Never anything older after something newer: once terminal, it stays terminal.
      expect(states.slice(states.indexOf('success'))).toEqual(['success']);
    }
    expect(streams).toHaveLength(2);
  }, 120_000);

  it('takes over within 1 s from a frozen leader tab', async () => {
    const { context, pages, streams } = await openTabs(3, '/admin/sync-control');
    contexts.push(context);
    const tile = '#pull-peer-a';
    const leader = streams[0]!.page;
    const followers = pages.filter((page) => page !== leader);
    await followers[0]!.locator('job-trigger[kind="sync.pull"][target="peer-a"] button').click();
    await Promise.all(followers.map((page) => page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('state') === 'running', tile)));

    expect(streams).toHaveLength(1);
    // Frozen: the leader's main thread runs nothing for 4 s (a hung tab; headless Chromium
    // does not freeze a visible page through the page lifecycle API).
    const frozenAt = Date.now();
    const thawed = leader.evaluate(() => {
      const end = Date.now() + 4_000;
      while (Date.now() < end);
    });
    await expect.poll(() => streams.length, { timeout: 5_000, interval: 20 }).toBe(2);
    const handOver = streams[1]!.at - frozenAt;
    console.log(`[tabs] hand-over from a frozen leader: ${handOver} ms`);
    expect(handOver).toBeLessThan(1_000);
    expect(await Promise.all(followers.map((page) => settle(page, tile)))).toEqual(followers.map(() => 'success'));

    // Thawed, the old leader follows: it hears the outcome and opens no stream of its own.
    await thawed;
    expect(await settle(leader, tile)).toBe('success');
    expect(streams).toHaveLength(2);
  }, 120_000);

  it('keeps the stream while one tab is visible, and pauses the group when every tab is hidden', async () => {
    const { context, pages, streams } = await openTabs(2, '/admin/sync-control');
    contexts.push(context);
    const leader = streams[0]!.page;
    const follower = pages.find((page) => page !== leader)!;
    await expect.poll(() => connectionOf(follower)).toBe('live');

    expect(streams).toHaveLength(1);
    await setHidden(leader, true);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // past the 1 s pause delay
    expect(await connectionOf(follower)).toBe('live');
    // Still the group's one stream, held by the hidden leader for the visible follower.
    expect(streams).toHaveLength(1);

    await setHidden(follower, true);
    await expect.poll(() => Promise.all(pages.map(connectionOf)), { timeout: 5_000 }).toEqual(['paused', 'paused']);

    // One tab back in view: the group's stream returns, resuming where it stopped.
    const before = streams.length;
    await setHidden(follower, false);
    await expect.poll(() => connectionOf(follower), { timeout: 5_000 }).toBe('live');
    expect(streams.length).toBe(before + 1);
  }, 120_000);
});
