/**
 * Part 3 harness: click "Push now" and time the paired `<job-status>` tile until it shows
 * the new job (`queued`), then time every update the tile renders from the server's
 * emit (`updated_at`) to the DOM. Works on any page with a "Push now" button inside a
 * `<job-trigger>` and a `<job-status>` paired with it (`for=`, inside it, same kind and
 * target, or the nearest one); returns `{skipped}` when the page has none.
 */
import { percentiles } from '../lib/histogram.mjs';
import { wallNow } from '../lib/workers.mjs';

const TERMINAL_OR_IDLE = ['success', 'warning', 'failed', 'canceled', 'idle'];

/** Installs the recorder in the page; returns a reason string when the page cannot be measured. */
function install() {
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Push now');
  if (!button) return 'no "Push now" button on the page';
  if (!customElements.get('job-status')) return '<job-status> is not defined (the elements bundle did not load)';
  const trigger = button.closest('job-trigger');
  let tile = null;
  const forId = trigger?.getAttribute('for');
  if (forId) tile = document.getElementById(forId);
  if (!tile && trigger) {
    tile =
      trigger.querySelector('job-status') ??
      [...document.querySelectorAll('job-status')].find(
        (t) => t.getAttribute('kind') === trigger.getAttribute('kind') && t.getAttribute('target') === trigger.getAttribute('target'),
      ) ??
      trigger.shadowRoot?.querySelector('job-status') ??
      null;
  }
  for (let node = button.parentElement; !tile && node; node = node.parentElement) tile = node.querySelector('job-status');
  if (!tile || tile.localName !== 'job-status' || !tile.shadowRoot) return 'no <job-status> tile paired with the "Push now" button';
  const bench = { button, tile, clicks: [], states: [], updates: [] };
  window.__bench = bench;
  document.addEventListener('click', (event) => {
    if (button.contains(event.target)) bench.clicks.push(event.timeStamp);
  }, true);
  let lastSeq = tile.snapshot?.seq ?? null;
  let lastState = tile.getAttribute('state');
  const record = () => {
    const now = performance.now();
    const state = tile.getAttribute('state');
    if (state !== lastState) {
      bench.states.push({ state, t: now });
      lastState = state;
    }
    const snapshot = tile.snapshot;
    if (snapshot && snapshot.seq !== lastSeq) {
      lastSeq = snapshot.seq;
      bench.updates.push({ seq: snapshot.seq, updated_at: snapshot.updated_at, state: snapshot.state, wall: performance.timeOrigin + now });
    }
  };
  new MutationObserver(record).observe(tile, { attributes: true });
  new MutationObserver(record).observe(tile.shadowRoot, { subtree: true, childList: true, characterData: true, attributes: true });
  return null;
}

/** Page clock minus this process's clock, from the round trip with the smallest delay. */
export async function clockOffset(page) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const before = wallNow();
    const pageWall = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = wallNow();
    if (after - before < best.rtt) best = { rtt: after - before, offset: pageWall - (before + after) / 2 };
  }
  return best;
}

export async function clickToTile({ page, tries, log, waitForElementsMs = 15_000 }) {
  // The page's elements may still be loading: give them a moment before judging.
  const deadline = Date.now() + waitForElementsMs;
  let reason = await page.evaluate(install);
  while (reason && Date.now() < deadline) {
    await page.waitForTimeout(250);
    reason = await page.evaluate(install);
  }
  if (reason) return { skipped: reason };
  const clock = await clockOffset(page);
  const clicks = [];
  const firstStates = {};
  let failures = 0;
  for (let i = 0; i < tries; i++) {
    try {
      await page.waitForFunction(
        (states) => !window.__bench.button.disabled && states.includes(window.__bench.tile.getAttribute('state') ?? 'idle'),
        TERMINAL_OR_IDLE,
        { timeout: 30_000, polling: 'raf' },
      );
      const before = await page.evaluate(() => window.__bench.clicks.length);
      await page.locator('button', { hasText: 'Push now' }).first().click({ timeout: 10_000 });
      const shown = await page.waitForFunction(
        (n) => {
          const bench = window.__bench;
          const click = bench.clicks[n];
          if (click === undefined) return null;
          const next = bench.states.find((s) => s.t >= click && (s.state === 'queued' || s.state === 'running'));
          return next ? { ms: next.t - click, state: next.state } : null;
        },
        before,
        { timeout: 10_000, polling: 'raf' },
      );
      const { ms, state } = await shown.jsonValue();
      clicks.push(ms);
      firstStates[state] = (firstStates[state] ?? 0) + 1;
    } catch (error) {
      failures++;
      log(`    try ${i + 1}: ${error.message.split('\n')[0]}`);
      if (failures > 5) break;
    }
  }
  // Let the last job's updates land before reading them.
  await page.waitForFunction((states) => states.includes(window.__bench.tile.getAttribute('state')), TERMINAL_OR_IDLE, { timeout: 30_000 }).catch(() => undefined);
  // Only what the clicks caused: not a snapshot that was already on the page.
  const { updates, since } = await page.evaluate(() => ({ updates: window.__bench.updates, since: performance.timeOrigin + (window.__bench.clicks[0] ?? Infinity) }));
  const emitToDom = updates
    .filter((u) => u.wall >= since && u.seq > 0 && typeof u.updated_at === 'string')
    .map((u) => u.wall - clock.offset - Date.parse(u.updated_at));
  return {
    tries,
    failures,
    click_to_tile_ms: percentiles(clicks),
    first_state_after_click: firstStates,
    emit_to_dom_ms: percentiles(emitToDom),
    clock: { offset_ms: clock.offset, calibration_rtt_ms: clock.rtt },
  };
}
