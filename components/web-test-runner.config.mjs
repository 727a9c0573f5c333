import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { chromiumLaunchOptions } from '../scripts/chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts the real job-status server (test/server/server.ts) as a child process on a
 * free port before the tests, hands its URL to every test page, and stops it after.
 */
function jobStatusServer() {
  let child;
  let url;
  return {
    name: 'job-status-test-server',
    async serverStart() {
      child = spawn(process.execPath, ['--conditions=@job-status/source', '--import', 'tsx', 'components/test/server/server.ts'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      url = await new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`test server exited with ${code} before listening`)));
        createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
      });
    },
    async serverStop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    /** Exposed for `testRunnerHtml`, which runs after `serverStart`. */
    get url() {
      return url;
    },
  };
}

const server = jobStatusServer();

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: { exportConditions: ['@job-status/source', 'browser', 'development'] },
  plugins: [
    server,
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) }),
  ],
  browsers: [
    chromeLauncher({ launchOptions: chromiumLaunchOptions() }),
  ],
  testRunnerHtml: (testFramework) => `<!doctype html>
<html>
  <body>
    <script>window.JOB_STATUS_SERVER = ${JSON.stringify(server.url)};</script>
    <script type="module" src="${testFramework}"></script>
  </body>
</html>`,
  testFramework: { config: { timeout: 15000 } },
  testsFinishTimeout: 180000,
};
