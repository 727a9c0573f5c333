/**
 * `npm run bench` — measures job-status against baselines run in the same process tree,
 * prints Markdown tables and writes bench/results.json.
 *
 *   npm run bench                  the full run (about 15 minutes)
 *   npm run bench -- --quick       smaller sizes, about a minute; what CI runs
 *   npm run bench -- --only=fanout,polling,browser,size,store,telemetry
 *   npm run bench -- --markdown    prints the tables of the last bench/results.json, runs nothing
 *
 * The exit code is non-zero only when a part fails with an error; a missed target, a
 * skipped part or a slow machine never fails the run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { runBrowser } from './browser/run.mjs';
import { runFanout } from './fanout/run.mjs';
import { runPolling } from './polling/run.mjs';
import { renderReport } from './report.mjs';
import { runSize } from './size/run.mjs';
import { runStore } from './store/run.mjs';
import { runTelemetry } from './telemetry/run.mjs';
import { evaluateTargets } from './targets.mjs';

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const PARTS = { size: runSize, store: runStore, polling: runPolling, fanout: runFanout, browser: runBrowser, telemetry: runTelemetry };

const args = process.argv.slice(2);
const unknown = args.filter((a) => !['--quick', '--markdown'].includes(a) && !a.startsWith('--only='));
if (unknown.length) {
  console.error(`bench: unknown argument ${unknown.join(' ')}; expected --quick, --markdown or --only=${Object.keys(PARTS).join(',')}`);
  process.exit(2);
}
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean) ?? null;
if (only?.some((part) => !(part in PARTS))) {
  console.error(`bench: --only takes ${Object.keys(PARTS).join(', ')}`);
  process.exit(2);
}

if (args.includes('--markdown')) {
  if (!existsSync(RESULTS)) {
    console.error('bench: no bench/results.json yet; run `npm run bench` first');
    process.exit(1);
  }
  const saved = JSON.parse(readFileSync(RESULTS, 'utf8'));
  // Verdicts are judged again from the figures, so the tables follow the current rules.
  saved.targets = evaluateTargets(saved);
  console.log(renderReport(saved));
  process.exit(0);
}

const quiet = (fn) => {
  try {
    return fn();
  } catch {
    return null;
  }
};
const meta = {
  started_at: new Date().toISOString(),
  quick,
  only,
  commit: quiet(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
  node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  memory_gib: os.totalmem() / 1024 ** 3,
  chromium: quiet(() => execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
  open_file_limit: quiet(() => Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim())),
  load_start: os.loadavg(),
};

// Every part is bounded on its own; this is the backstop for the whole run.
const budget = quick ? 5 * 60_000 : 60 * 60_000;
setTimeout(() => {
  console.error(`bench: still running after ${budget / 60_000} min; stopping`);
  process.exit(1);
}, budget).unref();

const log = (line) => console.log(line);
const started = performance.now();
const parts = {};
let failed = false;
for (const [name, run] of Object.entries(PARTS)) {
  if (only && !only.includes(name)) continue;
  log(`${name}:`);
  try {
    parts[name] = await run({ quick, log });
  } catch (error) {
    failed = true;
    parts[name] = { error: error instanceof Error ? error.message : String(error) };
    log(`  ERROR: ${parts[name].error}`);
  }
}
meta.duration_s = (performance.now() - started) / 1000;
meta.load_end = os.loadavg();
const results = { meta, parts };
results.targets = evaluateTargets(results);
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
log('');
log(renderReport(results));
log('');
log(`Written to bench/results.json. ${failed ? 'A part failed with an error (see above).' : 'No errors.'}`);
process.exit(failed ? 1 : 0);
