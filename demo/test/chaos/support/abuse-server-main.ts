/**
 * The chaos job service in a process of its own, so a test can measure its memory
 * (`/proc/<pid>/status`) apart from the clients that abuse it. Prints one JSON line,
 * `{"url", "pid", "dbPath"}`, once it listens; SIGTERM stops it.
 */
import { startChaosServer } from './chaos-server.js';

const server = await startChaosServer({ heartbeatMs: 2000 });
console.log(JSON.stringify({ url: server.url, pid: process.pid, dbPath: server.dbPath }));
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
