import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { DemoServer, launchBrowser } from './harness.js';

/** States after which a job never changes. */
export const TERMINAL = ['success', 'warning', 'failed', 'canceled'];

/**
 * One demo server and one browser for a test file: started before its tests (vitest
 * hooks), stopped after. Read `server` and `browser` inside the tests.
 */
export function demoForFile(delayScale: number): { readonly server: DemoServer; readonly browser: Browser } {
  const running = {} as { server: DemoServer; browser: Browser };
  beforeAll(async () => {
    running.server = new DemoServer(delayScale);
    await running.server.start();
    running.browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await running.browser?.close();
    await running.server?.stop();
  });
  return running;
}
