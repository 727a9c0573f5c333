import http from 'node:http';

/**
 * The fan-out baseline: a bare `node:http` SSE broadcaster doing the same work as the
 * job-status stream (one serialization per event, a job index for `?job=` streams, the
 * same frame, slow readers cut off past a byte bound) and nothing else.
 */
export function createBroadcaster({ maxBufferedBytes }) {
  const everyone = new Set();
  const byJob = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/events') return void res.writeHead(404).end();
    const job = url.searchParams.get('job');
    let set = everyone;
    if (job && !(set = byJob.get(job))) byJob.set(job, (set = new Set()));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
    res.write('retry: 3000\n\nevent: ready\ndata: {}\n\n');
    set.add(res);
    res.on('close', () => set.delete(res));
  });

  /** Sends one event to every stream that watches `jobId`. */
  function publish(jobId, id, json) {
    const chunk = Buffer.from(`id: ${id}\nevent: job-update\ndata: ${json}\n\n`);
    for (const set of [everyone, byJob.get(jobId)]) {
      if (!set) continue;
      for (const res of set) {
        if (res.writableLength > maxBufferedBytes) res.destroy();
        else res.write(chunk);
      }
    }
  }

  const streams = () => everyone.size + [...byJob.values()].reduce((n, set) => n + set.size, 0);
  return { server, publish, streams };
}
