import type { JobLogLine } from '@job-status/protocol';
import { JobEvent } from '@job-status/protocol';
import { encodeFrame } from './frame.js';
import type { SseSession } from './session.js';

/** Lines read from the store per round while catching up. */
const PAGE = 100;

/** How a tail reads stored lines and how fast it may send them. */
export interface LogTailSource {
  /** Stored lines of a job with `seq > after`, oldest first, at most `limit`. */
  read(jobId: string, after: number, limit: number): Promise<JobLogLine[]>;
  /** Waits until the stream may take more (its reader's pace); false once it is closed. */
  room(session: SseSession<any>): Promise<boolean>;
  /** True while the stream may take more without waiting. */
  hasRoom(session: SseSession<any>): boolean;
  /** Bytes of line text per `job-log` event while catching up, so one event never fills a stream's buffer. */
  eventBytes: number;
  /** A read from the store failed: reported once per failure; the next offer or sync tries again. */
  failed(error: unknown): void;
}

/**
 * The log lines of one job on one stream (`log=<job>:<after>`): sends each line after
 * `after` exactly once, in `seq` order. Lines already stored go first, read in pages at
 * the reader's pace; then lines from the bus as they are appended. A message that does
 * not follow on from the last line sent (the bus lost one, or sent only how far the log
 * goes) makes the tail read the missing lines from the store, where they already are:
 * the registry announces a line only after storing it.
 */
export class LogTail {
  readonly session: SseSession<any>;
  readonly jobId: string;
  readonly #source: LogTailSource;
  /** The last line sent. */
  #cursor: number;
  #started = false;
  #reading: Promise<void> | null = null;
  /** Lines were announced while a read was on its way: read once more after it. */
  #again = false;

  constructor(session: SseSession<any>, jobId: string, after: number, source: LogTailSource) {
    this.session = session;
    this.jobId = jobId;
    this.#cursor = after;
    this.#source = source;
  }

  /** The last line sent. */
  get cursor() {
    return this.#cursor;
  }

  /** Sends the stored lines, then follows the live ones. */
  start(): Promise<void> {
    this.#started = true;
    return this.catchUp();
  }

  /** Lines from the bus, stored up to `lastSeq`; `lines` may be a part of them, or none. */
  offer(lines: readonly JobLogLine[], lastSeq: number): void {
    if (!this.#started || this.session.closed || lastSeq <= this.#cursor) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    const fresh = lines.filter((line) => line.seq > this.#cursor);
    const follows = fresh.length > 0 && fresh.every((line, i) => line.seq === this.#cursor + 1 + i) && fresh.at(-1)!.seq === lastSeq;
    if (follows) this.#send(fresh);
    else void this.catchUp();
  }

  /** Reads and sends every stored line after the last one sent (a gap, an outage of the bus). */
  catchUp(): Promise<void> {
    if (!this.#started) return Promise.resolve();
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false;
          for (;;) {
            if (!(await this.#source.room(this.session))) return;
            const lines = await this.#source.read(this.jobId, this.#cursor, PAGE);
            if (this.session.closed) return;
            // What the reader has no room for now is read again later, not held meanwhile.
            let full = false;
            for (const batch of batches(lines.filter((line) => line.seq > this.#cursor), this.#source.eventBytes)) {
              if (!this.#source.hasRoom(this.session)) {
                full = true;
                break;
              }
              this.#send(batch);
            }
            if (!full && lines.length < PAGE) break;
          }
        } while (this.#again);
      } catch (error) {
        this.#source.failed(error);
      } finally {
        this.#reading = null;
      }
    })();
    return this.#reading;
  }

  #send(lines: JobLogLine[]) {
    this.#cursor = lines.at(-1)!.seq;
    this.session.send(encodeFrame({ event: JobEvent.log, data: JSON.stringify({ job_id: this.jobId, lines }) }));
  }
}

/** Splits lines into events of at most about `max` bytes each (one line may exceed it). */
function batches(lines: JobLogLine[], max: number): JobLogLine[][] {
  const out: JobLogLine[][] = [];
  let current: JobLogLine[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (current.length && bytes + line.message.length > max) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += line.message.length + 64;
  }
  if (current.length) out.push(current);
  return out;
}
