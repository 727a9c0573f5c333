// The consumer test: the three packages as an outside team gets them. It packs them,
// installs the tarballs (never the workspace links) into a temporary copy of every example,
// and for each example type-checks, builds, starts and drives it in Chromium. One
// `npm install` serves all the examples (they are workspaces of the temporary folder).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkBundle, bundleElements } from './bundle-check.mjs';
import { checkPackage, installedPackage } from './package-contents.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['@job-status/protocol', '@job-status/hono', '@job-status/elements'];

/**
 * Each example and the type-checks it must pass: its own `npm run typecheck` (its
 * tsconfig's moduleResolution), plus the servers under the other modes a Node team uses.
 */
const EXAMPLE_CHECKS = {
  express: { server: true },
  hono: { server: true },
  html: { server: false },
  react: { bundle: 'dist/assets' },
  vue: { bundle: 'dist/assets' },
};
const SERVER_MODES = {
  bundler: ['--module', 'preserve', '--moduleResolution', 'bundler'],
  node10: ['--module', 'es2022', '--moduleResolution', 'node10'],
};

/** The oldest hono `@job-status/hono`'s peer range allows; the examples get the newest. */
const OLDEST_HONO = '4.12.0';

const work = mkdtempSync(join(tmpdir(), 'job-status-consumer-'));
const report = [];
let packs = [];

/** An npm spec for our package `name` from its tarball. */
const tarballOf = (name) => `file:${join(work, packs.find((pack) => pack.name === name).filename)}`;

/** Runs a command; on failure the error carries its output. */
async function sh(command, args, cwd, env = {}) {
  try {
    return await run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    error.message = `${command} ${args.join(' ')} (in ${cwd}) failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`;
    throw error;
  }
}

before(async () => {
  await sh('npm', ['run', 'build', '--silent', ...PACKAGES.flatMap((name) => ['-w', name])], ROOT);
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', work, ...PACKAGES.flatMap((name) => ['-w', name])], ROOT);
  packs = JSON.parse(stdout);

  // The examples as a team would copy them, with our packages from the tarballs.
  cpSync(EXAMPLES, join(work, 'examples'), { recursive: true, filter: (source) => !/node_modules|[\\/]dist$|[\\/]test$/.test(source) });
  for (const name of Object.keys(EXAMPLE_CHECKS)) {
    const file = join(work, 'examples', name, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    for (const dep of Object.keys(pkg.dependencies)) if (dep.startsWith('@job-status/')) pkg.dependencies[dep] = tarballOf(dep);
    writeFileSync(file, JSON.stringify(pkg, null, 2));
  }
  writeFileSync(
    join(work, 'examples', 'package.json'),
    JSON.stringify({
      private: true,
      workspaces: Object.keys(EXAMPLE_CHECKS),
      // @job-status/hono and /elements depend on the protocol: from its tarball too.
      overrides: { '@job-status/protocol': tarballOf('@job-status/protocol') },
    }),
  );
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], join(work, 'examples'));
});

after(() => {
  console.log(`\n${report.join('\n')}`);
  if (process.env.KEEP_CONSUMER_DIR) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

describe('the packages, installed from their tarballs', () => {
  test('each package ships only what its exports reach, with no TypeScript on default conditions', () => {
    for (const pack of packs) {
      const dir = installedPackage(pack.name, join(work, 'examples'));
      assert.equal(lstatSync(dir).isSymbolicLink(), false, `${pack.name} is a link, not the tarball`);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const { problems } = checkPackage(dir);
      assert.deepEqual(problems, [], `${pack.name}:\n${problems.join('\n')}`);
      report.push(
        `${pack.name}: ${(pack.size / 1024).toFixed(1)} kB packed, ${(pack.unpackedSize / 1024).toFixed(1)} kB unpacked, ${pack.entryCount} files; ` +
          `dependencies ${JSON.stringify(pkg.dependencies ?? {})}; peers ${JSON.stringify(pkg.peerDependencies ?? {})}`,
      );
    }
  });

  test('every example and @job-status/hono share one hono (no nested second copy)', () => {
    const honoDir = realpathSync(installedPackage('@job-status/hono', join(work, 'examples')));
    const ours = createRequire(join(honoDir, 'package.json')).resolve('hono');
    for (const name of Object.keys(EXAMPLE_CHECKS)) {
      const theirs = createRequire(join(work, 'examples', name, 'package.json')).resolve('hono');
      assert.equal(theirs, ours, `${name} resolves hono to ${theirs}, @job-status/hono to ${ours}`);
    }
    const nested = readdirSync(honoDir).includes('node_modules') ? readdirSync(join(honoDir, 'node_modules')) : [];
    assert.ok(!nested.includes('hono'), '@job-status/hono has its own nested hono');
  });

  test('a bundle of the elements built with default conditions holds no .ts file and no decorator syntax', async () => {
    const { inputs, code } = await bundleElements(join(work, 'examples', 'html'));
    assert.deepEqual(checkBundle({ inputs, code }), []);
  });
});

/**
 * Type-checks and builds one example: the servers' `npm run build` is `tsc` under their
 * tsconfig (node16), then the other modes; the front ends' `npm run typecheck`, then `vite build`.
 */
async function prepare(name, checks) {
  const dir = join(work, 'examples', name);
  const modes = [`${readTsconfigMode(dir)} (npm run ${checks.server ? 'build' : 'typecheck'})`];
  if (checks.server) {
    await sh('npm', ['run', 'build', '--silent'], dir);
    for (const [mode, flags] of Object.entries(SERVER_MODES)) {
      await sh('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit', ...flags], dir);
      modes.push(mode);
    }
  } else {
    await sh('npm', ['run', 'typecheck', '--silent'], dir);
    await sh('npm', ['run', 'build', '--silent'], dir);
  }
  if (checks.bundle) {
    const assets = join(dir, checks.bundle);
    const code = readdirSync(assets).filter((file) => file.endsWith('.js')).map((file) => readFileSync(join(assets, file), 'utf8')).join('\n');
    assert.deepEqual(checkBundle({ inputs: [], code }), [], `${name}'s vite build`);
  }
  return modes;
}

/**
 * The low end of the hono peer range: the Hono example on its own (not a workspace, so
 * npm cannot hoist another hono beside it), with exactly the oldest hono allowed.
 */
async function prepareOldestHono() {
  const dir = join(work, 'hono-oldest');
  cpSync(join(work, 'examples', 'hono'), dir, { recursive: true, filter: (source) => !/node_modules|[\\/]dist$/.test(source) });
  // Its own copy of the browser check, so that resolves playwright-core from this install.
  cpSync(join(work, 'examples', 'drive.mjs'), join(dir, 'drive.mjs'));
  writeFileSync(join(dir, 'test.mjs'), readFileSync(join(dir, 'test.mjs'), 'utf8').replace("'../drive.mjs'", "'./drive.mjs'"));
  const file = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  pkg.dependencies.hono = OLDEST_HONO;
  pkg.overrides = { '@job-status/protocol': tarballOf('@job-status/protocol') };
  writeFileSync(file, JSON.stringify(pkg, null, 2));
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  const installed = JSON.parse(readFileSync(join(installedPackage('hono', realpathSync(installedPackage('@job-status/hono', dir))), 'package.json'), 'utf8'));
  assert.equal(installed.version, OLDEST_HONO, `@job-status/hono resolved hono ${installed.version}`);
  await sh('npm', ['run', 'build', '--silent'], dir);
  return dir;
}

describe('the examples', () => {
  // Type-checks and builds run two at a time (they are CPU-bound); the browser runs one at a time.
  const prepared = {};
  before(() => {
    const slot = limiter(2);
    for (const [name, checks] of Object.entries(EXAMPLE_CHECKS)) {
      prepared[name] = slot(() => prepare(name, checks));
      prepared[name].catch(() => undefined); // reported by the example's own test
    }
    prepared.oldestHono = slot(prepareOldestHono);
    prepared.oldestHono.catch(() => undefined);
  });

  test(`hono, on the oldest hono the peer range allows (${OLDEST_HONO})`, async () => {
    const dir = await prepared.oldestHono;
    const { stdout } = await sh('npm', ['test', '--silent'], dir);
    report.push(`example hono on hono ${OLDEST_HONO}: npm install; npm run build (node16); npm test → ${stdout.trim()}`);
  });

  for (const name of Object.keys(EXAMPLE_CHECKS)) {
    test(name, async () => {
      const modes = await prepared[name];
      const { stdout } = await sh('npm', ['test', '--silent'], join(work, 'examples', name));
      report.push(`example ${name}: type-checks under ${modes.join(', ')}; builds; npm test → ${stdout.trim()}`);
    });
  }
});

/** Runs at most `concurrency` tasks at once. */
function limiter(concurrency) {
  let active = 0;
  const waiting = [];
  return async (task) => {
    while (active >= concurrency) await new Promise((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** The moduleResolution an example's own tsconfig (or jsconfig) sets. */
function readTsconfigMode(dir) {
  for (const file of ['tsconfig.json', 'jsconfig.json']) {
    try {
      return JSON.parse(readFileSync(join(dir, file), 'utf8')).compilerOptions.moduleResolution;
    } catch {
      // no such file: try the next
    }
  }
  return 'default';
}
