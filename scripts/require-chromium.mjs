// First step of `npm test`: the browser tests need Chromium. Finds it, or installs Debian's
// `chromium` when it can (root with apt-get, as .ci/run does), or stops at once with one
// line that says what to run — instead of a launcher stack trace ten minutes in.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CHROMIUM_PATH as chrome, DEFAULT_CHROMIUM_PATH as DEFAULT } from './chromium.mjs';

const runnable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

if (!runnable(chrome)) {
  if (chrome === DEFAULT && process.getuid?.() === 0 && has('apt-get')) {
    console.log("npm test: installing Debian's chromium for the browser tests (apt-get install chromium)");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  }
  if (!runnable(chrome)) {
    console.error(
      chrome === DEFAULT
        ? `npm test needs Chromium at ${DEFAULT}: run \`sudo apt-get install chromium\` (Debian, Ubuntu), or set CHROME_PATH to a Chromium or Chrome binary.`
        : `npm test needs Chromium: CHROME_PATH=${chrome} is not an executable; point it at a Chromium or Chrome binary, or unset it to use ${DEFAULT}.`,
    );
    process.exit(1);
  }
}
