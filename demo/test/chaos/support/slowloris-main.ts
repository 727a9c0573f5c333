/**
 * The slowloris attack in a process of its own, as an attacker's machine would run it, so
 * its thousands of sockets do not slow the test's own admin client. Options come as one
 * JSON argument: `{port, connections, reconnectMs, trickleMs, from}`. Prints its counts as
 * a JSON line every 200 ms; SIGTERM stops it after a last line.
 */
import { slowloris } from './slowloris.js';

const { port, ...options } = JSON.parse(process.argv[2]!) as { port: number } & Parameters<typeof slowloris>[1];
const flood = slowloris(port, options);
const report = () => console.log(JSON.stringify({ opened: flood.stats.opened, closedByServer: flood.stats.closedByServer, open: flood.stats.open() }));
const timer = setInterval(report, 200);
process.on('SIGTERM', () => {
  clearInterval(timer);
  report();
  flood.stop();
  process.exit(0);
});
