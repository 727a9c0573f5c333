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
 * Opens one EventSource on `url` and watches it: every event re-arms a watchdog of two
 * heartbeat intervals (15 s until the server announces its own). The client, not the
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
  const close = () => {
    source.close();
    clock.clearTimeout(watchdog);
  };
  const fail = (code: string, message: string) => {
    close();
    on.fail(new JobStatusError('network', message, null, code));
  };
  const arm = () => {
    clock.clearTimeout(watchdog);
    watchdog = clock.setTimeout(
      () => fail('stream_buffered', 'Stream silent: a proxy may buffer it'),
      2 * heartbeat,
    );
  };
  const listen = (type: string, handle: (data: any) => void) =>
    source.addEventListener(type, (event) => {
      const { data, lastEventId } = event as MessageEvent<string>;
      let json: any;
      try {
        json = JSON.parse(data);
      } catch {}
      arm();
      on.alive(lastEventId);
      handle(json);
    });
  listen('job-update', (s) => isJobSnapshot(s) && on.snapshot(s));
  listen('job-log', (e) => Array.isArray(e?.lines) && on.lines(String(e.job_id), e.lines));
  listen('heartbeat', (h) => (heartbeat = h?.interval_ms || heartbeat));
  listen('resync', on.resync);
  // `ready` carries the stream's position in the event log: a resume point.
  listen('ready', () => {});
  source.onerror = () => fail('stream_failed', 'Stream failed');
  arm();
  return close;
}
