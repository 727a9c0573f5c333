import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('require-chromium.mjs', import.meta.url));
const run = (env) => spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8' });

test('without the browser, npm test stops at once with one line that says what to do', () => {
  const result = run({ CHROME_PATH: '/nonexistent/chromium' });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /CHROME_PATH=\/nonexistent\/chromium is not an executable/);
});

test('with the browser, it says nothing and lets the tests run', () => {
  const result = run({ CHROME_PATH: process.execPath });
  assert.equal(result.status, 0);
  assert.equal(result.stdout + result.stderr, '');
});
