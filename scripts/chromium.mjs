// How every browser test and the bench start Chromium, in one place: the component tests
// (web-test-runner), the story runner, the demo's end-to-end harness, the bench and
// `require-chromium.mjs`. (`examples/drive.mjs` keeps its own copy: the consumer test runs
// it outside this repository.)

/** Where Chromium is when `CHROME_PATH` does not say: Debian's `chromium` package. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** The Chromium or Chrome binary to run: `CHROME_PATH`, or {@link DEFAULT_CHROMIUM_PATH}. */
export const CHROMIUM_PATH = process.env.CHROME_PATH || DEFAULT_CHROMIUM_PATH;

/**
 * Headless flags for containers and CI: no sandbox (root in a container), no GPU, no
 * `/dev/shm` (often 64 MB there), and no background traffic or updates that would
 * disturb timings.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]);

/** Launch options for Playwright's `chromium.launch()` and web-test-runner's `chromeLauncher`. */
export function chromiumLaunchOptions() {
  return { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] };
}
