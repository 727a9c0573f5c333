import { afterEach, describe, expect, it } from 'vitest';
import { isTerminalState, parseEventId } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { printReport, waitUntil } from './support/chaos.js';
import { startChaosServer, USER_HEADER } from './support/chaos-server.js';
import { eventSourceClass } from './support/event-source.js';
import type { StreamConnection } from './support/event-source.js';
import { resumePoint } from './support/server-process.js';

/**
 * What the long dropped-streams run found: a reader that comes back after missing more
 * than the slow-reader bound (`limits.maxBufferedBytes`, 1 MiB) of events. Until commit
 * 8dae20a the server wrote the whole replay into the stream at once, so the replay itself
 * tripped the bound: the stream was cut as a slow reader's would be, the reader resumed
 * from the same point, and the same replay was cut again, forever (0 of 3 002 events
 * arrived, in every run). Now the replay goes as fast as the reader reads.
 */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a resume with more to replay than the buffer bound', () => {
  it('replays every missed event to a reader that was away while 3 MB of events went by', async () => {
    const server = await startChaosServer();
    cleanups.push(() => server.close());
    const headers = { [USER_HEADER]: 'reader' };
    // Where the log stands now: the reader's resume point.
    const resumeFrom = await resumePoint(server.url, headers);

    // While it is away: 3000 events of about 1 KB.
    const job = await server.jobs.enqueue('chaos.burst', { count: 3000, pad: 1000 });
    expect(await waitUntil(async () => isTerminalState((await server.jobs.get(job.job_id))!.state), 30_000)).toBe(true);
    const last = (await server.jobs.get(job.job_id))!.seq;

    // It comes back with its last event id, and reconnects (every 3 s) whenever it is cut.
    const connections: StreamConnection[] = [];
    const received = new Set<number>();
    const ES = eventSourceClass({ headers, onConnection: (c) => void connections.push(c) });
    const source = new ES(`${server.url}/jobs/events?last_event_id=${resumeFrom}`);
    cleanups.push(() => source.close());
    source.addEventListener('job-update', (event) => void received.add((JSON.parse((event as MessageEvent).data) as JobSnapshot).seq));
    const whole = await waitUntil(() => received.has(last), 8000, 50);

    const missed = last - parseEventId(resumeFrom)!.seq;
    printReport('a resume larger than the buffer bound', {
      tried: { 'events to replay (about 1 KB each)': missed, 'stream requests the reader made': connections.length },
      lost: {
        'events received': `${received.size} of ${missed}`,
        'streams cut before the replay was through': connections.filter((c) => c.end === 'network' || c.end === 'eof').length,
      },
    });
    expect(whole).toBe(true);
  }, 60_000);
});
