/**
 * The chaos job service in a process of its own, seen from a test: its memory is its own,
 * and raw sockets talk to it as an abusive script would.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Starts `support/abuse-server-main.ts` and waits for its `{url, pid, dbPath}` line; the
 * process is killed by the cleanup it adds to `cleanups`.
 */
export async function startServerProcess(cleanups: Array<() => unknown>) {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'test/chaos/support/abuse-server-main.ts'], {
    cwd: DEMO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });
  const info = await new Promise<{ url: string; pid: number; dbPath: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the chaos server did not start')), 20_000);
    child.once('exit', (code) => reject(new Error(`the chaos server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  return { ...info, port: Number(new URL(info.url).port), child, stderr: () => stderr };
}

/** Resident memory of a process in MiB: now, and its peak so far. */
export function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** A raw HTTP/1.1 GET on its own socket: what an abusive script sends, without fetch's manners. */
export function rawGet(port: number, path: string, headers: Record<string, string>) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return socket;
}

/** The event id of a fresh stream's `ready` event: where the log stands now, as a resume point. */
export async function resumePoint(url: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${url}/jobs/events`, { headers });
  const reader = response.body!.getReader();
  let text = '';
  const READY = /id: (\S+)\nevent: ready\n/;
  while (!READY.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before its ready event: ${text}`);
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return READY.exec(text)![1]!;
}
