// What the story test and the docs screenshots share: Chromium, and opening one story of
// the static build until it has rendered, played and settled.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, chromiumLaunchOptions } from '../../scripts/chromium.mjs';

/** Headless Chromium, as CI runs it. */
export function launchChromium() {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}; set CHROME_PATH.`);
  return chromium.launch({ ...chromiumLaunchOptions(), headless: true });
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
 * Storybook has rendered it and run its play function, then until the page has settled
 * (see {@link settle}). `globals` are added to the URL (e.g. `a11y.manual:!true`).
 * Resolves, for a story, with how Storybook says it ended: `{status: 'success' | 'error',
 * error}`, where `error` is the first line of a play function's exception (Storybook may
 * still say `success` then: it logs the exception instead of throwing it); null for docs.
 * Rejects when the page does not settle within `timeout`.
 */
export async function openStory(page, baseUrl, id, { viewMode = 'story', globals = '', timeout = 15_000 } = {}) {
  await listenToPreview(page);
  const url = new URL('iframe.html', baseUrl);
  url.searchParams.set('id', id);
  url.searchParams.set('viewMode', viewMode);
  if (globals) url.searchParams.set('globals', globals);
  await page.goto(url.href, { waitUntil: 'load', timeout });
  let outcome = null;
  if (viewMode === 'story') {
    // Storybook says how the story ended (its play function included) on its channel.
    outcome = await (
      await page.waitForFunction((storyId) => window.__jobStatusStories?.[storyId], id, { timeout, polling: 50 })
    ).jsonValue();
  } else {
    await page.waitForFunction(
      () => document.querySelector('#storybook-docs .sbdocs-content') && !document.querySelector('.sb-previewBlock_placeholder, [data-loading]'),
      null,
      { timeout, polling: 50 },
    );
  }
  await settle(page, timeout);
  return outcome;
}

/**
 * Waits until what the page shows has caught up with its story clients: every scripted
 * server has answered all it was asked and the client plans nothing "at once"
 * (`__jobStatusStoriesSettled`, from `src/support/story-client.ts`), and no Lit element
 * has an update pending, in two animation frames in a row (the client delivers updates
 * on the next frame; the elements render in the microtasks after it). A story's scripts
 * may move it on later: that is the story, not settling.
 */
async function settle(page, timeout) {
  await page.evaluate(() => (window.__jobStatusCalmFrames = 0));
  await page.waitForFunction(
    () => {
      const pending = (root) => {
        for (const el of root.querySelectorAll('*')) {
          if (el.isUpdatePending || (el.shadowRoot && pending(el.shadowRoot))) return true;
        }
        return false;
      };
      const calm = (window.__jobStatusStoriesSettled?.() ?? true) && !pending(document);
      window.__jobStatusCalmFrames = calm ? window.__jobStatusCalmFrames + 1 : 0;
      return window.__jobStatusCalmFrames >= 2;
    },
    null,
    { timeout, polling: 'raf' },
  );
}

const listening = new WeakSet();

/**
 * Records, in the page, how each story ended: Storybook's `storyFinished` status and the
 * exception of a play function that threw (`playFunctionThrewException`), by story id, in
 * `window.__jobStatusStories`. Hooked where the preview sets up its channel, before any
 * story renders.
 */
async function listenToPreview(page) {
  if (listening.has(page)) return;
  listening.add(page);
  await page.addInitScript(() => {
    const stories = (window.__jobStatusStories = {});
    const thrown = {};
    let channel;
    Object.defineProperty(window, '__STORYBOOK_ADDONS_CHANNEL__', {
      configurable: true,
      get: () => channel,
      set(next) {
        channel = next;
        next.on('playFunctionThrewException', (error) => {
          thrown[window.__STORYBOOK_PREVIEW__?.currentRender?.id] = String(error?.message ?? error).split('\n')[0];
        });
        next.on('storyFinished', ({ storyId, status }) => {
          stories[storyId] = { status, error: thrown[storyId] ?? null };
        });
      },
    });
  });
}
