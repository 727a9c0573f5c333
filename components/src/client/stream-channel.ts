import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { streamRetry } from './delays.js';
import { openEventStream } from './event-stream.js';
import type { JobStatusError } from './job-status-error.js';
import { covers } from './stream-query.js';
import type { JobStatusClock } from './types.js';

/** What the stream channel reports to its owner. */
export interface ChannelEvents {
  /** An event or heartbeat arrived; `first`: the first since the stream opened. */
  alive(first: boolean): void;
  snapshot(snapshot: JobSnapshot): void;
  lines(jobId: string, lines: JobLogLine[]): void;
  resync(): void;
  /** The stream failed; it is retried after a delay that grows with each failure. */
  changed(): void;
}

const enc = encodeURIComponent;

/**
 * The one event stream of a client (or of a tab group's leader): opens it for a query,
 * keeps it while the query is covered, resumes from the last event id and from each
 * log's last line, and retries a failed stream after 1 s, doubling, at most 2 min.
 */
export function createStreamChannel(ES: typeof EventSource, base: string, clock: JobStatusClock, on: ChannelEvents) {
  let close: (() => void) | undefined;
  let query = '';
  let retry: unknown;

  const channel = {
    live: false,
    failures: 0,
    error: null as JobStatusError | null,
    /** The last event id seen by this tab (the group's, in a tab group): where a new stream resumes. */
    lastId: '',
    /** Per watched log, the last line seq seen: where a new stream resumes it. */
    logSeq: {} as Record<string, number>,

    /** True while a stream is open or being opened. */
    get open() {
      return !!close;
    },

    /** Keeps a stream open that carries `wanted`, and the logs from the lines given. */
    want(wanted: string, logs: Record<string, number>) {
      if (retry !== undefined) return;
      const ids = Object.keys(logs);
      if (close && covers(query, wanted) && ids.every((id) => logs[id]! >= (channel.logSeq[id] ?? 0))) return;
      close?.();
      query = wanted;
      channel.live = false;
      for (const id of ids) {
        const after = Math.min(logs[id]!, channel.logSeq[id] ?? logs[id]!);
        channel.logSeq[id] = after < Infinity ? after : 0;
      }
      const resume = channel.lastId && `last_event_id=${enc(channel.lastId)}`;
      const url = [wanted.replace(/log=([^&]*)/g, (part, id) => `${part}:${channel.logSeq[decodeURIComponent(id)]}`), resume];
      close = openEventStream(ES, `${base}/events?${url.filter(Boolean).join('&')}`, clock, {
        alive(id) {
          if (id) channel.lastId = id;
          const first = !channel.live;
          channel.live = true;
          channel.failures = 0;
          channel.error = null;
          on.alive(first);
        },
        snapshot: on.snapshot,
        lines(id, lines) {
          channel.logSeq[id] = lines.at(-1)?.seq ?? channel.logSeq[id]!;
          on.lines(id, lines);
        },
        resync: on.resync,
        fail(error) {
          close = undefined;
          channel.live = false;
          channel.error = error;
          retry = clock.setTimeout(() => {
            retry = undefined;
            on.changed();
          }, streamRetry(++channel.failures));
          on.changed();
        },
      });
    },

    /** Closes the stream and drops a pending retry. */
    stop() {
      close?.();
      if (retry !== undefined) clock.clearTimeout(retry);
      close = retry = undefined;
      channel.live = false;
    },
  };
  return channel;
}
