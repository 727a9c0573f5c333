import type { LogLevel } from '@job-status/protocol';

/** The shape of any Standard Schema validator (zod 4, valibot, arktype, ...). */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/** Progress as a handler reports it: a percent, or a count out of a total. */
export type ProgressUpdate =
  | { percent: number }
  | { current: number; total?: number | null; unit?: string | null; percent?: number | null };

/**
 * What a handler receives. Every call is cheap and never throws: the registry numbers,
 * stores and streams each change. Calls after the job has ended (for example after a
 * cancel) are ignored.
 */
export interface JobContext {
  readonly jobId: string;
  readonly kind: string;
  readonly target: string | null;
  readonly actor: string | null;
  /**
   * Aborted when the job is canceled or times out, when another process takes it over,
   * or when the server shuts down past `closeTimeoutMs`: pass it to `fetch`, stop loops on
   * it. Its `reason` is then a {@link JobAbortedError}, whose `reason` field says which
   * (`'canceled' | 'timeout' | 'taken-over' | 'closing'`).
   */
  readonly signal: AbortSignal;
  /** Names the current step, e.g. "Uploading records". */
  phase(text: string): void;
  /** Reports how far the job has got. */
  progress(update: ProgressUpdate): void;
  /** Adds a line to the job's log (shown in the detail view). */
  log(level: LogLevel, message: string): void;
  /** Records a warning: the job still finishes, but as `warning` instead of `success`. */
  warn(message: string): void;
}

/** What a handler may return: the outcome in words, and data to keep with the job. */
export interface JobOutcome {
  message?: string | null;
  result?: unknown;
}

/**
 * One kind of job: how to validate its input and how to run it.
 *
 * @example
 * jobs.define('sync.push', {
 *   label: (input, target) => `Push to ${target}`,
 *   input: z.object({ full: z.boolean().default(false) }),
 *   concurrency: 1,
 *   timeoutMs: 10 * 60_000,
 *   run: async (ctx, input) => { ctx.phase('Uploading'); return { message: 'Pushed 120 records' } },
 * })
 */
export interface JobDefinition<Input = unknown> {
  /** Human name of a job of this kind; a string, or made from the input and target. Default: the kind. */
  label?: string | ((input: Input, target: string | null) => string);
  /** Validates (and may transform) the input; invalid input is a 400 and no job is made. */
  input?: StandardSchema<Input>;
  /** Jobs of this kind that run at once; the rest wait `queued`, in order. Default: no limit. */
  concurrency?: number;
  /** A job still running after this many milliseconds fails with code `timeout`. Default: none. */
  timeoutMs?: number;
  run(ctx: JobContext, input: Input): Promise<JobOutcome | void> | JobOutcome | void;
  /**
   * For kinds whose work runs elsewhere (a queue's worker, see `bullmqSource`) and that
   * `run` only hands over and follows: picks such a job up again when the process that
   * followed it stopped (its heartbeat lapsed), from wherever the job is now. Called on
   * another process, with the job still `running`; `resumed.logs` is how many log lines
   * the job already has. Without `resume`, such a job is finished `failed` with code
   * `interrupted`, which is right for work that ran inside the stopped process.
   */
  resume?(ctx: JobContext, input: Input, resumed: { logs: number }): Promise<JobOutcome | void> | JobOutcome | void;
}

/** The label of a new job: the definition's text or function, else the kind and target. */
export function labelOf(definition: JobDefinition<any>, kind: string, input: unknown, target: string | null): string {
  const { label } = definition;
  if (typeof label === 'function') return String(label(input, target));
  if (typeof label === 'string') return label;
  return target ? `${kind} ${target}` : kind;
}

/** Throws for a bad kind name, a kind defined twice, or bad settings of a definition. */
export function assertDefinition(kind: string, definition: JobDefinition<any>, defined: boolean): void {
  if (typeof kind !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(kind)) {
    throw new TypeError(`job-status: a kind is 1 to 100 letters, digits or "_.:-" (got ${JSON.stringify(kind)})`);
  }
  if (defined) throw new TypeError(`job-status: the kind "${kind}" is already defined`);
  if (typeof definition?.run !== 'function') throw new TypeError(`job-status: the kind "${kind}" needs a run function`);
  const { concurrency, timeoutMs } = definition;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new TypeError(`job-status: concurrency of "${kind}" must be a whole number from 1`);
  }
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError(`job-status: timeoutMs of "${kind}" must be a positive number`);
  }
}
