import type { JobError, TerminalJobState } from '@job-status/protocol';
import { LOG_LEVELS } from '@job-status/protocol';
import type { JobStatusError } from '../errors.js';
import type { StoredJob } from '../stores/store.js';
import type { ContextSink } from './context.js';
import type { JobDefinition } from './definition.js';
import { isoNow } from './clock.js';
import { storableResult } from './input.js';
import type { InputBounds } from './input.js';
import { JobWrites, lostLinesMessage } from './job-writes.js';
import type { JobWritesOptions } from './job-writes.js';

/** How a job ends, besides its terminal state: the message, and the error or result. */
export interface Ending {
  message: string | null;
  error?: JobError;
  result?: unknown;
}

export interface LiveJobOptions extends Omit<JobWritesOptions, 'refused'> {
  /** Cuts a text to the longest the store keeps. */
  text(value: string): string;
  /** Bounds of a handler's result. */
  inputBounds: InputBounds;
  /** A handler changed the job (phase, progress): for telemetry. */
  changed(draft: StoredJob, patch: Partial<StoredJob>): void;
  /** The store refuses this process's writes for the job (another process took it over). */
  refused(live: LiveJob, error: JobStatusError): void;
}

/** A job this process runs, from enqueue to its terminal state. */
export class LiveJob {
  readonly definition: JobDefinition<any>;
  /** Its state (`draft`, `saved`) and its writes, in order, retried while the store is down. */
  readonly writes: JobWrites;
  /** It holds a place in the bounded queue (until it starts or is canceled). */
  queued = false;
  readonly controller = new AbortController();
  readonly warnings: string[] = [];
  finished = false;
  /** Resolves when the handler has returned (or will never start). */
  readonly done: Promise<void>;
  readonly markDone: () => void;
  /** The context's calls, bound to this job; ignored once it has finished. */
  readonly sink: ContextSink;
  readonly #options: LiveJobOptions;

  constructor(saved: StoredJob, definition: JobDefinition<any>, options: LiveJobOptions) {
    let markDone!: () => void;
    this.done = new Promise<void>((resolve) => (markDone = resolve));
    this.markDone = markDone;
    this.definition = definition;
    this.#options = options;
    this.writes = new JobWrites(saved, { ...options, refused: (error) => options.refused(this, error) });
    const { text } = options;
    this.sink = {
      update: (patch) => {
        if (this.finished) return;
        void this.writes.update(patch, false);
        options.changed(this.writes.draft, patch);
      },
      log: (level, message) => {
        if (this.finished) return;
        this.writes.log({
          ts: isoNow(options.clock),
          level: LOG_LEVELS.includes(level) ? level : 'info',
          message: text(String(message)),
        });
        if (!this.writes.draft.has_logs) void this.writes.update({ has_logs: true }, false);
      },
      warn: (message) => {
        if (this.finished) return;
        this.warnings.push(text(String(message)));
      },
      text,
    };
  }

  /**
   * Saves the job's terminal state, once: resolves false when it had already ended. The
   * save is retried until the store takes it (or the registry closes): the store must not
   * keep the job `running` while nothing runs it.
   */
  async end(state: TerminalJobState, ending: Ending): Promise<boolean> {
    if (this.finished) return false;
    const { text, logger } = this.#options;
    // The log tells the whole story: a failure is its last line, not the last progress line.
    if (ending.error) this.sink.log('error', ending.error.hint ? `${ending.error.message} ${ending.error.hint}` : ending.error.message);
    this.finished = true;
    const { writes } = this;
    const result = storableResult(ending.result, this.#options.inputBounds, (error) =>
      logger.error({ job_id: writes.draft.job_id, err: error.message }, 'job-status: the result of this job was not kept'),
    );
    let message = ending.message === null ? null : text(ending.message);
    // Lines the store could not take are not hidden behind a success.
    if (writes.lost.lines > 0) {
      if (state === 'success') state = 'warning';
      message = text(`${message ? `${message} ` : ''}${lostLinesMessage(writes.lost.lines)}`);
    }
    await writes.update(
      {
        state,
        finished_at: isoNow(this.#options.clock),
        started_at: writes.draft.started_at,
        message,
        error: ending.error ?? null,
        ...(result === undefined ? {} : { result }),
      },
      true,
    );
    return true;
  }
}
