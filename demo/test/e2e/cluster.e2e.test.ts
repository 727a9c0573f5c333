import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Issue 17: `npm run demo:cluster` on a fresh clone crashed with `ENOENT … data/session-secret`,
 * because nothing made the data folder. Here the command runs as a user runs it, from the
 * repository root, with a DATA_DIR that does not exist yet, against a database of its own.
 */
const { DATABASE_URL, REDIS_URL } = process.env;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two ports nothing listens on right now. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A database of its own, dropped afterwards, so the cluster's tables touch nothing else. */
async function throwawayDatabase(url: string): Promise<string> {
  const name = `demo_cluster_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const own = new URL(url);
  own.pathname = `/${name}`;
  return own.toString();
}

describe('npm run demo:cluster', () => {
  it.skipIf(!DATABASE_URL || !REDIS_URL)('starts from a data folder that does not exist yet, and one sign-in works on every instance', async () => {
    const root = mkdtempSync(join(tmpdir(), 'job-status-cluster-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const dataDir = join(root, 'fresh', 'data');
    const ports = await freePorts(2);
    const child = spawn('npm', ['run', 'demo:cluster'], {
      cwd: ROOT,
      // Its own process group, so stopping it stops npm, the cluster and its three children.
      detached: true,
      env: { ...process.env, DATABASE_URL: await throwawayDatabase(DATABASE_URL!), REDIS_URL, DATA_DIR: dataDir, CLUSTER_PORTS: ports.join(','), DEMO_DELAY_SCALE: '0.05' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    });

    const started = () => ['[demo-1] job-status demo on', '[demo-2] job-status demo on', '[worker] job-status demo worker'].every((line) => output.includes(line));
    // The command may build the elements' bundle first (ensure-elements).
    const deadline = Date.now() + 150_000;
    while (!started() && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started(), output).toBe(true);
    expect(output).not.toMatch(/ENOENT/);
    expect(existsSync(dataDir)).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    // Signed in on the first instance, known on the second; signed out on the second, gone on the first.
    const [one, two] = ports.map((port) => `http://127.0.0.1:${port}`);
    const login = await fetch(`${one}/login`, { method: 'POST', body: new URLSearchParams({ user: 'admin' }), headers: { origin: one! }, redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    expect((await fetch(`${two}/api/admin/jobs?limit=1`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${two}/logout`, { method: 'POST', headers: { cookie, origin: two! }, redirect: 'manual' })).status).toBe(303);
    expect((await fetch(`${one}/api/admin/jobs?limit=1`, { headers: { cookie } })).status).toBe(401);

    // Ctrl+C stops every process it started.
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    const groupAlive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    const stopDeadline = Date.now() + 15_000;
    while (groupAlive() && Date.now() < stopDeadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(groupAlive()).toBe(false);
  }, 180_000);
});
