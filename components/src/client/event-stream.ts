import { isJobSnapshot } from '@job-status/protocol';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { DEFAULT_HEARTBEAT } from './delays.js';
import { JobStatusError } from './job-status-error.js';
import type { JobStatusClock } from './types.js';

/** What {@link openEventStream} reports. */
export interface StreamEvents {
  /** Any event arrived (the first one proves the stream live); `id` is the stream's last event id. */
  alive(id: string): void;
  snapshot(snapshot: JobSnapshot): void;
  /** Log lines of one job (`job-log`, an event without id), in order. */
  lines(jobId: string, lines: JobLogLine[]): void;
  /** The resume point could not be replayed: current snapshots follow. */
  resync(): void;
  /** The stream failed, or stayed silent for two heartbeat intervals (a buffering proxy). Closed already. */
  fail(error: JobStatusError): void;
}

/**
 * Opens one EventSource on `url` and watches it: a stream silent for two heartbeat
 * intervals (15 s until the server announces its own) fails. The client, not the
 * browser, decides when to reconnect, so any error closes the stream. Returns `close`.
 */
export function openEventStream(
  ES: typeof EventSource,
  url: string,
  clock: JobStatusClock,
  on: StreamEvents,
): () => void {
  const source = new ES(url);
  let heartbeat = DEFAULT_HEARTBEAT;
  let watchdog: unknown;
  /** When the last event arrived: the watchdog looks at it when it fires, so an event sets no timer. */
  let heard = clock.now();
  const close = () => {
    source.close();
    clock.clearTimeout(watchdog);
  };
  const fail = (code: string, message: string) => {
    close();
    on.fail(new JobStatusError('network', message, null, code));
  };
  const watch = (ms: number) => {
    watchdog = clock.setTimeout(() => {
      const silent = clock.now() - heard;
      if (silent < 2 * heartbeat) watch(2 * heartbeat - silent);
      else fail('stream_buffered', 'Stream silent: a proxy may buffer it');
    }, ms);
  };
  const listen = (type: string, handle: (data: any) => void) =>
    source.addEventListener(type, (event) => {
      const { data, lastEventId } = event as MessageEvent<string>;
      let json: any;
      try {
        json = JSON.parse(data);
      } catch {}
      heard = clock.now();
      on.alive(lastEventId);
      handle(json);
    });
  listen('job-update', (s) => isJobSnapshot(s) && on.snapshot(s));
  listen('job-log', (e) => Array.isArray(e?.lines) && on.lines(String(e.job_id), e.lines));
  listen('heartbeat', (h) => {
    // The server says how often it beats: the watchdog runs on that from now on.
    heartbeat = h?.interval_ms || heartbeat;
    clock.clearTimeout(watchdog);
    watch(2 * heartbeat);
  });
  listen('resync', on.resync);
  // `ready` carries the stream's position in the event log: a resume point.
  listen('ready', () => {});
  source.onerror = () => fail('stream_failed', 'Stream failed');
  watch(2 * heartbeat);
  return close;
}
