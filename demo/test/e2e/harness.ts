import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../scripts/chromium.mjs';

const DEMO = fileURLToPath(new URL('../..', import.meta.url));

export interface DemoServerOptions {
  /** More environment for `src/main.ts` (HOST, MAX_CONNECTIONS, …). */
  env?: Record<string, string>;
  /** Starts it under `ulimit -n <fileLimit>`, as a service with the common 1 024 limit runs. */
  fileLimit?: number;
}

/**
 * The demo server as a user runs it (`src/main.ts`), in its own process, so a test can
 * kill it and start it again on the same port and data folder.
 */
export class DemoServer {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'job-status-e2e-'));
  port = 0;
  #child: ChildProcess | null = null;
  output = '';

  constructor(
    readonly delayScale = 0.3,
    readonly options: DemoServerOptions = {},
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The server's process id (for its memory in `/proc/<pid>/status`), or null when it is not running. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Starts the server (on the port it had before, after a restart) and waits until it listens. */
  async start(): Promise<void> {
    const command = [process.execPath, '--conditions=@job-status/source', '--import', 'tsx', 'src/main.ts'];
    const { fileLimit } = this.options;
    const [file, ...args] = fileLimit ? ['/bin/sh', '-c', `ulimit -n ${fileLimit} && exec "$@"`, 'sh', ...command] : command;
    const child = spawn(file!, args, {
      cwd: DEMO,
      env: {
        ...process.env,
        // The embedded default, as `npm start` runs on a fresh machine: SQLite, no other service.
        DATABASE_URL: '',
        REDIS_URL: '',
        PORT: String(this.port),
        DATA_DIR: this.dataDir,
        DEMO_DELAY_SCALE: String(this.delayScale),
        DEMO_FAILURE_RATE: '0',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${this.output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        const match = /on http:\/\/(?:\[[^\]]+\]|[^\s:/]+):(\d+)/.exec(this.output.slice(-400));
        if (match) {
          this.port = Number(match[1]);
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code}:\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
  }

  /** Kills the server at once, as a crash would: no cleanup runs. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.#child = null;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, url: string, user: 'admin' | 'viewer') {
  await page.goto(`${url}/login`);
  await page.getByLabel(user, { exact: true }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('domcontentloaded');
}

/** Collects uncaught page errors and console errors so a test can assert there were none. */
export function watchErrors(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}
