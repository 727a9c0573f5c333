// What the story test and the docs screenshots share: Chromium, and opening one story of
// the static build until it has rendered, played and settled.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Headless Chromium, as CI runs it. */
export function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}; set CHROME_PATH.`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** The stories of a static build, from its `index.json`, in sidebar order. */
export async function storiesOf(baseUrl) {
  const response = await fetch(new URL('index.json', baseUrl));
  if (!response.ok) throw new Error(`index.json: HTTP ${response.status}`);
  const { entries } = await response.json();
  return Object.values(entries);
}

/**
 * Opens `id` in the preview iframe (`viewMode` `story` or `docs`) and waits until
 * Storybook has rendered it and run its play function, then until every Lit element in
 * it has finished updating and the in-memory client's answers (30 ms each) have landed.
 * `globals` are added to the URL (e.g. `a11y.manual:!true`).
 */
export async function openStory(page, baseUrl, id, { viewMode = 'story', globals = '', settleMs = 300, timeout = 15_000 } = {}) {
  const url = new URL('iframe.html', baseUrl);
  url.searchParams.set('id', id);
  url.searchParams.set('viewMode', viewMode);
  if (globals) url.searchParams.set('globals', globals);
  await page.goto(url.href, { waitUntil: 'load', timeout });
  if (viewMode === 'story') {
    await page.waitForFunction(
      () => ['finished', 'aborted'].includes(window.__STORYBOOK_PREVIEW__?.currentRender?.phase),
      null,
      { timeout, polling: 50 },
    );
  } else {
    await page.waitForFunction(
      () => document.querySelector('#storybook-docs .sbdocs-content') && !document.querySelector('.sb-previewBlock_placeholder, [data-loading]'),
      null,
      { timeout, polling: 50 },
    );
  }
  await page.evaluate(async (ms) => {
    const pending = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.updateComplete) pending.push(el.updateComplete);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    await Promise.all(pending);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }, settleMs);
}
