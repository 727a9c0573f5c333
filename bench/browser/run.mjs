/**
 * Parts 3 and 4, in headless Chromium: click to tile and emit to DOM on the demo's Sync
 * control page; a page of many tiles under a steady stream of updates.
 */
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../scripts/chromium.mjs';
import { bundle, elementEntries } from '../lib/bundle.mjs';
import { sleep, startWorker } from '../lib/workers.mjs';
import { clickToTile } from './click-to-tile.mjs';

export function browserPlan(quick) {
  return quick
    ? { tries: 20, delayScale: 0.05, tiles: 200, rate: 50, windowMs: 2000 }
    : { tries: 100, delayScale: 0.05, tiles: 200, rate: 50, windowMs: 10_000 };
}

/** Part 3 against the demo app; `{skipped}` with the reason when the demo cannot be measured yet. */
async function demoClickToTile({ browser, plan, log }) {
  let server;
  try {
    server = await startWorker('bench/browser/demo-server.ts', { ts: true });
  } catch (error) {
    return { skipped: `the demo server did not start: ${error.message.split('\n')[0]}` };
  }
  const context = await browser.newContext();
  try {
    const { port } = await server.call('setup', { delayScale: plan.delayScale }, 60_000);
    const base = `http://127.0.0.1:${port}`;
    const login = await context.request.post(`${base}/login`, { form: { user: 'admin' }, headers: { origin: base }, maxRedirects: 0 });
    if (login.status() >= 400) return { skipped: `POST /login answered ${login.status()}` };
    const page = await context.newPage();
    const response = await page.goto(`${base}/admin/sync-control`, { waitUntil: 'load' });
    if (!response || response.status() !== 200) return { skipped: `GET /admin/sync-control answered ${response?.status() ?? 'nothing'}` };
    return await clickToTile({ page, tries: plan.tries, log, waitForElementsMs: 5000 });
  } finally {
    await context.close();
    await server.call('close', {}, 15_000).catch(() => undefined);
    await server.stop();
  }
}

/** Parts 3 (stand-in) and 4 on the bench's own pages. */
async function benchPages({ browser, plan, log, standIn }) {
  const files = elementEntries();
  if (!files.includes('elements/job-status/job-status.ts') || !files.includes('elements/job-status-provider/job-status-provider.ts')) {
    return { skipped: 'components/src has no <job-status> or <job-status-provider> yet' };
  }
  const js = await bundle(files);
  const server = await startWorker('bench/browser/page-server.ts', { ts: true });
  const context = await browser.newContext();
  const result = {};
  try {
    const { port } = await server.call('setup', { js, tiles: plan.tiles, step: 250 * plan.delayScale }, 60_000);
    const base = `http://127.0.0.1:${port}`;
    if (standIn) {
      const page = await context.newPage();
      await page.goto(`${base}/stand-in`, { waitUntil: 'load' });
      result.standIn = await clickToTile({ page, tries: plan.tries, log });
      await page.close();
    }
    result.manyTiles = await manyTiles({ context, server, base, plan });
    result.manyTabs = await manyTilesInTabs({ context, server, base, plan, tabs: 4 });
  } finally {
    await context.close();
    await server.call('close', {}, 15_000).catch(() => undefined);
    await server.stop();
  }
  return result;
}

/** Main-thread busy time (CDP TaskDuration) and long tasks over a window of `ms`. */
async function observe(page, cdp, ms, during = () => sleep(ms)) {
  const read = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const task = metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
    return { task, at: await page.evaluate(() => performance.now()) };
  };
  const start = await read();
  const extra = await during();
  const end = await read();
  const seconds = (end.at - start.at) / 1000;
  const long = await page.evaluate(([from, to]) => window.__longtasks.filter((t) => t.start >= from && t.start <= to), [start.at, end.at]);
  return {
    seconds,
    main_thread_ms_per_s: ((end.task - start.task) * 1000) / seconds,
    long_tasks: long.length,
    longest_task_ms: long.reduce((max, t) => Math.max(max, t.duration), 0),
    extra,
  };
}

async function manyTiles({ context, server, base, plan }) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longtasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const loadStart = Date.now();
  await page.goto(`${base}/tiles`, { waitUntil: 'load' });
  await page.waitForFunction(
    (n) => {
      const tiles = document.querySelectorAll('job-status');
      return tiles.length === n && [...tiles].every((t) => t.getAttribute('state') === 'running');
    },
    plan.tiles,
    { timeout: 30_000 },
  );
  const readyMs = Date.now() - loadStart;
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
  await sleep(1000);
  const idle = await observe(page, cdp, plan.windowMs);
  const before = await server.call('requests');
  const streamsAtLoad = before.streams;
  const busy = await observe(page, cdp, plan.windowMs, () => server.call('run', { rate: plan.rate, durationMs: plan.windowMs }, plan.windowMs + 30_000));
  const after = await server.call('requests');
  // Every tile should end on the last value the server sent it.
  const last = busy.extra.last;
  const upToDate = await page
    .waitForFunction(
      (expected) => {
        const tiles = [...document.querySelectorAll('job-status')];
        const current = tiles.filter((t) => t.snapshot && expected[t.snapshot.job_id] !== undefined && t.snapshot.progress?.current === expected[t.snapshot.job_id]).length;
        return current === Object.keys(expected).length ? current : false;
      },
      last,
      { timeout: 5000 },
    )
    .then((handle) => handle.jsonValue())
    .catch(() => page.evaluate((expected) => [...document.querySelectorAll('job-status')].filter((t) => t.snapshot && t.snapshot.progress?.current === expected[t.snapshot.job_id]).length, last));
  await page.close();
  return {
    tiles: plan.tiles,
    rate: plan.rate,
    page_ready_ms: readyMs,
    updates_sent: busy.extra.emitted,
    tiles_moved: Object.keys(last).length,
    tiles_up_to_date: upToDate,
    streams_opened_during_load: streamsAtLoad,
    streams_opened_during_updates: after.streams - before.streams,
    streams_open: after.open,
    other_api_requests_during_updates: after.other - before.other,
    idle: { ...idle, extra: undefined },
    busy: { ...busy, extra: undefined },
  };
}

/** The tiles of every job that moved, in one page, that show the last value sent. */
const tilesUpToDate = (page, last) =>
  page.evaluate(
    (expected) =>
      [...document.querySelectorAll('job-status')].filter((t) => t.snapshot && expected[t.snapshot.job_id] !== undefined && t.snapshot.progress?.current === expected[t.snapshot.job_id]).length,
    last,
  );

/**
 * The same page of tiles open in `tabs` tabs of one browser: the tabs share one event
 * stream (tab sharing), and every tile of every tab must end on the last value sent.
 */
async function manyTilesInTabs({ context, server, base, plan, tabs }) {
  const before = await server.call('requests');
  const pages = [];
  const loadStart = Date.now();
  for (let i = 0; i < tabs; i++) {
    const page = await context.newPage();
    await page.goto(`${base}/tiles`, { waitUntil: 'load' });
    pages.push(page);
  }
  for (const page of pages) {
    await page.waitForFunction(
      (n) => [...document.querySelectorAll('job-status')].filter((t) => t.getAttribute('state') === 'running').length === n,
      plan.tiles,
      { timeout: 30_000 },
    );
  }
  const readyMs = Date.now() - loadStart;
  const loaded = await server.call('requests');
  const extra = await server.call('run', { rate: plan.rate, durationMs: plan.windowMs }, plan.windowMs + 30_000);
  const after = await server.call('requests');
  const moved = Object.keys(extra.last).length;
  // Four pages of 200 tiles share two cores: give every tab up to 20 s to catch up, and say how long it took.
  const end = Date.now();
  let upToDate = [];
  let caughtUpMs = null;
  do {
    upToDate = await Promise.all(pages.map((page) => tilesUpToDate(page, extra.last)));
    if (upToDate.every((n) => n === moved)) caughtUpMs = Date.now() - end;
    else await sleep(100);
  } while (caughtUpMs === null && Date.now() < end + 20_000);
  await Promise.all(pages.map((page) => page.close()));
  return {
    tabs,
    tiles: plan.tiles,
    rate: plan.rate,
    tabs_ready_ms: readyMs,
    updates_sent: extra.emitted,
    tiles_moved: moved,
    tiles_up_to_date_per_tab: upToDate,
    caught_up_ms_after_updates: caughtUpMs,
    streams_opened_during_load: loaded.streams - before.streams,
    streams_opened_during_updates: after.streams - loaded.streams,
    streams_open: after.open,
    other_api_requests_during_updates: after.other - loaded.other,
  };
}

export async function runBrowser({ quick, log }) {
  const plan = browserPlan(quick);
  let browser;
  try {
    browser = await chromium.launch(chromiumLaunchOptions());
  } catch (error) {
    const skipped = `Chromium did not start: ${error.message.split('\n')[0]}`;
    return { plan, demo: { skipped }, bench: { skipped } };
  }
  try {
    const demo = await demoClickToTile({ browser, plan, log });
    log(demo.skipped ? `  click to tile (demo): SKIPPED: ${demo.skipped}` : `  click to tile (demo): p95 ${demo.click_to_tile_ms.p95?.toFixed(1)} ms; emit to DOM p95 ${demo.emit_to_dom_ms.p95?.toFixed(1)} ms`);
    // While the demo's page is missing, the same harness runs on a stand-in page, reported as such.
    const bench = await benchPages({ browser, plan, log, standIn: Boolean(demo.skipped) });
    if (bench.standIn) {
      const s = bench.standIn;
      log(s.skipped ? `  click to tile (stand-in page): SKIPPED: ${s.skipped}` : `  click to tile (stand-in page, not the demo): p95 ${s.click_to_tile_ms.p95?.toFixed(1)} ms; emit to DOM p95 ${s.emit_to_dom_ms.p95?.toFixed(1)} ms`);
    }
    if (bench.manyTiles) {
      const m = bench.manyTiles;
      log(`  ${m.tiles} tiles, ${m.rate} updates/s: main thread ${m.busy.main_thread_ms_per_s.toFixed(1)} ms/s (idle ${m.idle.main_thread_ms_per_s.toFixed(1)}), long tasks ${m.busy.long_tasks} (longest ${m.busy.longest_task_ms.toFixed(0)} ms), streams open ${m.streams_open} (opened during updates ${m.streams_opened_during_updates}), other requests during updates ${m.other_api_requests_during_updates}, tiles up to date ${m.tiles_up_to_date}/${m.tiles_moved}`);
    } else if (bench.skipped) log(`  many tiles: SKIPPED: ${bench.skipped}`);
    if (bench.manyTabs) {
      const t = bench.manyTabs;
      log(`  ${t.tiles} tiles in ${t.tabs} tabs, ${t.rate} updates/s: streams opened ${t.streams_opened_during_load} (during updates ${t.streams_opened_during_updates}), open ${t.streams_open}, other requests during updates ${t.other_api_requests_during_updates}, tiles up to date per tab ${t.tiles_up_to_date_per_tab.join(', ')} of ${t.tiles_moved} (${t.caught_up_ms_after_updates ?? 'not'} ms after the last update)`);
    }
    return { plan, demo, bench };
  } finally {
    await browser.close();
  }
}
