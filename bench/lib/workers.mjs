import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Workspace packages resolve to their TypeScript sources, run through tsx. */
const TS_FLAGS = ['--conditions=@job-status/source', '--import', 'tsx'];

/**
 * A child process that answers commands over IPC. Every call is bounded in time: a call
 * that does not answer within its timeout rejects, and `stop()` kills what is left.
 */
export class Worker {
  #child;
  #next = 1;
  #pending = new Map();
  #exited;

  constructor(child) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.on('message', (message) => {
      const waiter = this.#pending.get(message.id);
      if (!waiter) return;
      this.#pending.delete(message.id);
      clearTimeout(waiter.timer);
      if ('error' in message) waiter.reject(new Error(`${waiter.cmd}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    void this.#exited.then(({ code, signal }) => {
      for (const waiter of this.#pending.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${waiter.cmd}: worker exited (code ${code}, signal ${signal})`));
      }
      this.#pending.clear();
    });
  }

  get pid() {
    return this.#child.pid;
  }

  call(cmd, args = {}, timeoutMs = 30_000) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, cmd });
      this.#child.send({ id, cmd, args });
    });
  }

  /** Asks the worker to exit, then kills it if it has not within 3 s. */
  async stop() {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.disconnect?.();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Starts `file` (relative to the repo root) as a worker and waits until it says it is ready. */
export async function startWorker(file, { ts = false, execArgv = [], env = {}, readyTimeoutMs = 30_000 } = {}) {
  const child = fork(fileURLToPath(new URL(file, `file://${ROOT}/`)), [], {
    cwd: ROOT,
    execArgv: [...(ts ? TS_FLAGS : []), ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const worker = new Worker(child);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file}: not ready within ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    child.once('message', (message) => {
      if (message?.ready) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file}: exited with code ${code} before it was ready`));
    });
  });
  return worker;
}

/** Worker side: answers `{id, cmd, args}` messages with the named handler; exits when the parent goes. */
export function serveCommands(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      process.send({ id, result: (await handler(args)) ?? null });
    } catch (error) {
      process.send({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

/** Wall time on a clock every process on the machine shares, in milliseconds with µs precision. */
export const wallNow = () => performance.timeOrigin + performance.now();

/** CPU time (user + system, ms) and RSS (bytes) of this process. */
export function usage() {
  const cpu = process.cpuUsage();
  return { cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage.rss(), at: performance.now() };
}

/** Share of one core used between two `usage()` readings, in percent. */
export const cpuPercent = (before, after) => (100 * (after.cpuMs - before.cpuMs)) / Math.max(1, after.at - before.at);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
