// The examples' shared browser check: start an example's server, open its page in
// headless Chromium, click the button beside the tile, and see the tile go queued →
// running → a terminal state without a reload. Each example's `npm test` calls it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const TERMINAL = ['success', 'warning', 'failed', 'canceled'];

/** Starts `node <script>` on a free port and resolves with the URL it prints first. */
async function startServer(script, cwd) {
  const child = spawn(process.execPath, [script], { cwd, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it listened`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /https?:\/\/\S+/.exec(line);
      if (match) resolve(match[0]);
    });
  });
  return { url, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))) };
}

/**
 * @param {object} options
 * @param {string} options.name what to call the example in the report line
 * @param {string} options.server the server script, relative to `cwd`
 * @param {string} [options.cwd] the example's folder (default: the current one)
 * @param {string} [options.signIn] a user name to sign in as (`POST /login`, form field `user`) first
 * @returns {Promise<string[]>} the states the tile showed, in order
 */
export async function driveExample({ name, server, cwd = process.cwd(), signIn }) {
  const app = await startServer(server, cwd);
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    if (signIn) await page.request.post(`${app.url}/login`, { form: { user: signIn }, maxRedirects: 0 });
    await page.goto(app.url);
    let navigations = 0;
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations++);
    const tile = page.locator('job-status').first();
    await page.waitForFunction(() => document.querySelector('job-status')?.getAttribute('state') === 'idle');
    await tile.evaluate((element) => {
      window.seenStates = [element.getAttribute('state')];
      new MutationObserver(() => window.seenStates.push(element.getAttribute('state'))).observe(element, { attributeFilter: ['state'] });
    });
    await page.locator('job-trigger button').first().click();
    await page.waitForFunction((terminal) => terminal.includes(document.querySelector('job-status')?.getAttribute('state')), TERMINAL, { timeout: 20_000 });
    const seen = (await page.evaluate(() => window.seenStates)).filter((state, i, all) => state !== all[i - 1]);
    console.log(`${name}: the tile showed ${seen.join(' → ')}`);
    assert.deepEqual(seen.slice(0, 3), ['idle', 'queued', 'running'], `${name}: the tile went ${seen.join(' → ')}`);
    assert.equal(seen.at(-1), 'success', `${name}: the job ended ${seen.at(-1)}`);
    assert.equal(navigations, 0, `${name}: the page reloaded`);
    assert.deepEqual(errors, [], `${name}: the page logged errors`);
    return seen;
  } finally {
    await browser.close();
    await app.stop();
  }
}
