/**
 * `npm run demo:cluster`: the demo as a small cluster on one machine. Two instances
 * (ports 3001 and 3002, or CLUSTER_PORTS) share PostgreSQL (DATABASE_URL) and Redis
 * (REDIS_URL), and one BullMQ worker builds reports. Sign in on one port, watch the same
 * jobs on the other; stop an instance (Ctrl+Z, kill) and see its jobs recovered.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataDir } from './data-dir.js';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  console.error('job-status demo:cluster needs PostgreSQL and Redis: set DATABASE_URL (postgres://…) and REDIS_URL (redis://…).');
  process.exit(1);
}
const ports = (process.env.CLUSTER_PORTS ?? '3001,3002').split(',').map(Number);
if (ports.length < 2 || ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
  console.error('job-status demo:cluster: CLUSTER_PORTS must list two or more ports, such as 3001,3002');
  process.exit(1);
}
const dataDir = resolve(process.env.DATA_DIR ?? './data');
// One data folder for every instance (they share its session table, so a sign-in works on
// each), made before they start: on a fresh clone it does not exist yet.
ensureDataDir(dataDir);

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const children: ChildProcess[] = [];
function run(name: string, file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=@job-status/source', '--import', 'tsx', here(file)], {
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop()!;
      for (const line of lines) console.log(`[${name}] ${line}`);
    });
  }
  child.once('exit', (code, signal) => {
    console.log(`[${name}] exited (${signal ?? code})`);
    if (!stopping) console.log(`[${name}] the others keep running; its jobs are recovered once its heartbeat lapses`);
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
  });
  children.push(child);
}

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

ports.forEach((port, index) => run(`demo-${index + 1}`, './main.ts', { PORT: String(port), INSTANCE_ID: `demo-${index + 1}` }));
run('worker', './worker.ts', {});
