// Takes the pictures of docs/design.md from the static Storybook: each listed story,
// rendered and played, cropped to what it shows, into docs/images/stories/.
// Reduced motion keeps spinners and indeterminate bars still, so a picture is stable.
//
//   npm run build-storybook && node scripts/screenshots.mjs
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../test/static-server.mjs';
import { launchChromium, openStory } from '../test/story-page.mjs';

const root = fileURLToPath(new URL('../storybook-static', import.meta.url));
const out = fileURLToPath(new URL('../../docs/images/stories/', import.meta.url));

/** [file, story id, viewport width]. */
const PICTURES = [
  ['job-status-light.png', 'elements-job-status--light-theme', 640],
  ['job-status-dark.png', 'elements-job-status--dark-theme', 640],
  ['job-status-idle.png', 'elements-job-status--idle-with-empty-message', 640],
  ['job-status-running-files.png', 'elements-job-status--running-with-files', 640],
  ['job-status-running-indeterminate.png', 'elements-job-status--running-indeterminate', 640],
  ['job-status-failed.png', 'elements-job-status--failed-with-hint', 640],
  ['job-status-interrupted.png', 'elements-job-status--interrupted', 640],
  ['job-status-gone.png', 'elements-job-status--job-no-longer-exists', 640],
  ['job-status-unavailable.png', 'elements-job-status--unavailable', 640],
  ['job-status-long.png', 'elements-job-status--long-label-and-message', 640],
  ['job-status-rtl.png', 'elements-job-status--right-to-left', 640],
  ['job-status-themed.png', 'elements-job-status--themed', 640],
  ['job-trigger-busy.png', 'elements-job-trigger--busy', 640],
  ['job-trigger-refused.png', 'elements-job-trigger--refused', 640],
  ['job-list.png', 'elements-job-list--page-of-jobs', 1300],
  ['job-list-paused.png', 'elements-job-list--paused-with-new-jobs', 1300],
  ['job-detail-failed.png', 'elements-job-detail--failed', 900],
];

const server = await serveStatic(root);
const browser = await launchChromium();
try {
  await mkdir(out, { recursive: true });
  const context = await browser.newContext({ reducedMotion: 'reduce', colorScheme: 'light', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  for (const [file, id, width] of PICTURES) {
    await page.setViewportSize({ width, height: 900 });
    await openStory(page, server.url, id);
    // The union of what the story rendered, with the page's padding around it.
    const clip = await page.evaluate(() => {
      const boxes = [...document.querySelectorAll('#root-inner > *')].map((el) => el.getBoundingClientRect()).filter((r) => r.width && r.height);
      const left = Math.min(...boxes.map((r) => r.left));
      const top = Math.min(...boxes.map((r) => r.top));
      const right = Math.max(...boxes.map((r) => r.right));
      const bottom = Math.max(...boxes.map((r) => r.bottom));
      const pad = 12;
      return { x: Math.max(0, left - pad), y: Math.max(0, top - pad), width: right - left + 2 * pad, height: bottom - top + 2 * pad };
    });
    await page.screenshot({ path: `${out}${file}`, clip, fullPage: true });
    console.log(`docs/images/stories/${file}  ← ${id}`);
  }
} finally {
  await browser.close();
  await server.close();
}
