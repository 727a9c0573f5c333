// Opens every story of the static Storybook (`storybook-static/`, from `npm run
// build-storybook`) in headless Chromium and fails on any console error or uncaught
// exception, any story that renders nothing or errors, any play function that fails (as
// Storybook reports it on its channel), and any axe violation in the
// story root. Docs pages are opened too, for errors and emptiness (their chrome is
// Storybook's, so axe runs on stories only).
//
//   node test/run-stories.mjs [--grep text] [--no-docs]
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './static-server.mjs';
import { launchChromium, openStory, storiesOf } from './story-page.mjs';

const argv = process.argv.slice(2);
const grep = argv.includes('--grep') ? argv[argv.indexOf('--grep') + 1] : null;
const withDocs = !argv.includes('--no-docs');
const root = fileURLToPath(new URL('../storybook-static', import.meta.url));
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

if (!existsSync(`${root}/index.json`)) {
  console.error('No static Storybook in stories/storybook-static: run `npm run build-storybook` first.');
  process.exit(1);
}

/** Everything that failed in one story, as lines. */
async function check(page, entry, baseUrl) {
  const problems = [];
  const onConsole = (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text().split('\n').slice(0, 3).join('\n      ')}`);
  };
  const onPageError = (error) => problems.push(`uncaught: ${error.message}`);
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  try {
    const story = entry.type === 'story';
    // The a11y addon's own axe run is switched off: this runner runs axe itself.
    const outcome = await openStory(page, baseUrl, entry.id, { viewMode: story ? 'story' : 'docs', globals: 'a11y.manual:!true' });
    if (outcome?.error) problems.push(`play function failed: ${outcome.error}`);
    else if (outcome?.status === 'error') problems.push('story failed: Storybook reported an error (see the console lines above)');
    const shown = await page.evaluate((selector) => {
      const root = document.querySelector(selector);
      const text = (node) => {
        let found = '';
        for (const child of node.childNodes) {
          if (child.nodeType === Node.TEXT_NODE) found += child.data;
          else if (child.nodeType === Node.ELEMENT_NODE && child.localName !== 'style') {
            if (child.shadowRoot) found += text(child.shadowRoot);
            found += text(child);
          }
        }
        return found;
      };
      const box = root?.getBoundingClientRect();
      return {
        errored: document.body.classList.contains('sb-show-errordisplay'),
        error: document.querySelector('#error-message')?.textContent?.trim() ?? '',
        text: root ? text(root).trim().length : 0,
        height: box?.height ?? 0,
      };
    }, story ? '#storybook-root' : '#storybook-docs');
    if (shown.errored) problems.push(`story errored: ${shown.error}`);
    if (!shown.text || !shown.height) problems.push(`renders nothing (text: ${shown.text} chars, height: ${shown.height}px)`);
    if (story) {
      await page.addScriptTag({ path: axePath });
      const violations = await page.evaluate(async () => {
        const a11y = window.__STORYBOOK_PREVIEW__.currentRender.story.parameters.a11y ?? {};
        if (a11y.disable || a11y.test === 'off') return [];
        // As the a11y addon does: its rules config, and `region` off (a story is no page).
        window.axe.configure({ ...a11y.config, rules: [{ id: 'region', enabled: false }, ...(a11y.config?.rules ?? [])] });
        const result = await window.axe.run(document.getElementById('storybook-root'), a11y.options ?? {});
        return result.violations.map(
          (v) => `axe ${v.id} (${v.impact}): ${v.help}\n        ${v.nodes.map((n) => n.target.join(' >> ')).join('\n        ')}`,
        );
      });
      problems.push(...violations);
    }
  } catch (error) {
    problems.push(`could not open: ${error.message.split('\n')[0]}`);
  } finally {
    page.off('console', onConsole);
    page.off('pageerror', onPageError);
  }
  return problems;
}

const started = Date.now();
const server = await serveStatic(root);
const browser = await launchChromium();
let passed = 0;
const failed = [];
try {
  const entries = (await storiesOf(server.url)).filter(
    (entry) => (entry.type === 'story' || (withDocs && entry.type === 'docs')) && (!grep || entry.id.includes(grep)),
  );
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  for (const entry of entries) {
    const t0 = Date.now();
    const problems = await check(page, entry, server.url);
    const label = `${entry.type === 'docs' ? 'docs ' : ''}${entry.title} › ${entry.name}`;
    if (problems.length) {
      failed.push(label);
      console.log(`✗ ${label} (${entry.id})\n    ${problems.join('\n    ')}`);
    } else {
      passed++;
      console.log(`✓ ${label} (${Date.now() - t0} ms)`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(`\n${passed} passed, ${failed.length} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (failed.length) {
  console.log(`Failed:\n  ${failed.join('\n  ')}`);
  process.exitCode = 1;
}
