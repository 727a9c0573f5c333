import type { JobError, JobListResponse, JobLogLine, JobSnapshot, LogLevel, TerminalJobState } from '@job-status/protocol';
import { LOG_LEVELS, isTerminalState } from '@job-status/protocol';
import type { BusMessage, JobBus } from '../buses/bus.js';
import { JobStatusError } from '../errors.js';
import type { JobStatusLogger } from '../options.js';
import { publicSnapshot } from '../stores/store.js';
import { SORT_COLUMNS, encodeCursor } from '../stores/cursor.js';
import type { JobStore, ListQuery, StoredJob } from '../stores/store.js';
import { QueueBounds } from './admission.js';
import type { Backoff } from './backoff.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import { createContext } from './context.js';
import { CreationClock } from './creation-clock.js';
import { labelOf } from './definition.js';
import type { JobContext, JobDefinition, JobOutcome } from './definition.js';
import { failureOf } from './failure.js';
import { IdempotentEnqueues } from './idempotency.js';
import { assertBoundedJson, storableResult, validateInput } from './input.js';
import type { InputBounds } from './input.js';
import { JobWrites, lostLinesMessage } from './job-writes.js';
import { isDataError } from './store-health.js';
import type { StoreHealth } from './store-health.js';
import { TypicalDurations } from './typical-durations.js';

export interface EnqueueOptions {
  /** What the job acts on, e.g. a peer name. */
  target?: string | null;
  /** Who asked for it; recorded as the job's `actor`. */
  actor?: string | null;
  /**
   * With the same key (and the same `scope`, usually the caller's id), a repeated enqueue
   * returns the first job instead of starting a second one.
   */
  idempotencyKey?: string | null;
  scope?: string;
}

export interface RegistryOptions {
  store: JobStore;
  bus: JobBus;
  logger: JobStatusLogger;
  retentionMs: number;
  maxEvents: number;
  maxTextLength: number;
  closeTimeoutMs: number;
  onSettled?: ((snapshot: JobSnapshot) => void | Promise<void>) | undefined;
  /** Owner id of this process; unique among the processes that share the store. */
  instanceId: string;
  /** How often this process tells the store it is alive, in milliseconds. */
  ownerHeartbeatMs: number;
  /** Opens the store and refuses new jobs while it cannot write. */
  health: StoreHealth;
  /** Waits between retries of a write that failed. */
  backoff: Backoff;
  /** Bounds of a job's input (and of a handler's result). */
  inputBounds: InputBounds;
  /** Jobs waiting to start, per kind and in all. */
  maxQueuedPerKind: number;
  maxQueuedJobs: number;
  /** Log lines of one job that may wait while the store cannot write. */
  maxPendingLogLines: number;
  /** Where enqueues, starts, phases, settles and events are reported. */
  telemetry: JobStatusTelemetry;
}

/**
 * An owner that missed this many heartbeats is taken for dead: its busy jobs are recovered.
 * Three tolerates one slow beat without declaring a live process dead.
 */
export const LAPSE_BEATS = 3;
/** On start, owners heard from within this long are left to the periodic check (a day, as stores forget owners). */
const KNOWN_OWNER_MS = 24 * 60 * 60_000;

/** A job this process runs, from enqueue to its terminal state. */
interface LiveJob {
  definition: JobDefinition<any>;
  /** Its state (`draft`, `saved`) and its writes, in order, retried while the store is down. */
  writes: JobWrites;
  /** It holds a place in the bounded queue (until it starts or is canceled). */
  queued: boolean;
  controller: AbortController;
  warnings: string[];
  finished: boolean;
  /** Resolves when the handler has returned (or will never start). */
  done: Promise<void>;
  markDone: () => void;
}

const INTERRUPTED_HINT = 'Nothing is running now: run the action again.';
/** What the run of a live job calls: the definition's `run`, or its `resume` for an adopted job. */
type Handler = (ctx: JobContext, input: unknown) => Promise<JobOutcome | void> | JobOutcome | void;

/**
 * Runs jobs and keeps their state: numbers every change through the store, publishes it
 * on the bus, enforces per-kind concurrency and timeouts, and recovers jobs a dead
 * process left behind.
 */
export class JobRegistry {
  readonly #options: RegistryOptions;
  readonly #health: StoreHealth;
  readonly #bounds: QueueBounds;
  /** Aborted by `close()`: the store stops being opened; writes get a last try instead of waiting. */
  readonly #closing = new AbortController();
  readonly #kinds = new Map<string, JobDefinition<any>>();
  readonly #live = new Map<string, LiveJob>();
  readonly #queues = new Map<string, string[]>();
  readonly #running = new Map<string, number>();
  readonly #idempotent: IdempotentEnqueues;
  readonly #unsubscribe: () => void;
  readonly #typical: TypicalDurations;
  readonly #creation = new CreationClock();
  #retentionTimer: ReturnType<typeof setInterval> | null = null;
  #ownerTimer: ReturnType<typeof setInterval> | null = null;
  /** Since when this process's beats reach the store without a failure; null after a failure. */
  #beatingSince: number | null = null;
  #recovering: Promise<void> | null = null;
  #closed = false;
  /** Resolves once the store is open and left-over jobs are recovered. */
  readonly ready: Promise<{ epoch: string }>;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.#health = options.health;
    this.#bounds = new QueueBounds(options);
    this.#idempotent = new IdempotentEnqueues(options.store);
    this.#typical = new TypicalDurations(options.store, (error) => this.#internal(error));
    this.#unsubscribe = options.bus.subscribe((message) => {
      if (message.type === 'cancel' && this.#live.has(message.job_id)) void this.cancel(message.job_id);
    });
    this.ready = this.#start();
    // It rejects only when closed before the store opened; each failed open is logged as it happens.
    this.ready.catch(() => undefined);
  }

  async #start() {
    const opened = await this.#health.open(this.#options.store, this.#closing.signal);
    try {
      await this.#options.store.beat(this.#options.instanceId);
      this.#beatingSince = Date.now();
      this.#creation.seed((await this.#options.store.list({ sort: 'created_desc', limit: 1 })).jobs[0]?.created_at);
      await this.#recover(true);
    } catch (error) {
      // The store went down right after it opened: the periodic beat tries again.
      this.#health.failed(error);
      this.#internal(error);
    }
    await this.prune();
    const every = Math.min(Math.max(this.#options.retentionMs / 10, 1000), 10 * 60_000);
    this.#retentionTimer = setInterval(() => void this.prune(), every);
    this.#retentionTimer.unref?.();
    this.#ownerTimer = setInterval(() => void this.#beat(), this.#options.ownerHeartbeatMs);
    this.#ownerTimer.unref?.();
    return opened;
  }

  /**
   * Tells the store this process is alive, then looks for jobs whose owner stopped. Only
   * after this process's own beats have reached the store for a whole lapse: after a
   * store outage every owner's last beat looks old, and the others need that long to beat
   * again before their silence means anything.
   */
  async #beat() {
    if (this.#closed) return;
    try {
      await this.#options.store.beat(this.#options.instanceId);
      this.#health.succeeded();
      this.#beatingSince ??= Date.now();
    } catch (error) {
      this.#health.failed(error);
      if (this.#beatingSince !== null) this.#internal(error);
      this.#beatingSince = null;
      return;
    }
    if (Date.now() - this.#beatingSince < this.#lapseMs || this.#recovering) return;
    this.#recovering = this.#recover(false)
      .catch((error) => this.#internal(error))
      .finally(() => (this.#recovering = null));
  }

  get #lapseMs() {
    return LAPSE_BEATS * this.#options.ownerHeartbeatMs;
  }

  /**
   * Takes over the busy jobs whose owner stopped beating (on start, also the jobs this
   * very owner id left behind in a previous life, and jobs without an owner). A job of a
   * kind that runs elsewhere and can be followed again (`resume`) is adopted; any other is
   * finished as `failed` with code `interrupted`. Jobs of live owners are never touched.
   */
  async #recover(starting: boolean) {
    const { store, instanceId } = this.#options;
    // On start, this process has not yet beaten for a lapse: it spares every owner that
    // beat at all lately (it may be coming back from the same outage), and takes only the
    // jobs of owners that stopped on purpose (their heartbeat is gone). A store that one
    // process uses at a time has no other live owner: everything busy is left over.
    const alone = starting && store.exclusive === true;
    const [busy, spared] = await Promise.all([store.listBusy(), alone ? [] : store.liveOwners(starting ? KNOWN_OWNER_MS : this.#lapseMs)]);
    const spare = new Set(spared);
    const lapseMs = alone ? 0 : this.#lapseMs;
    for (const job of busy) {
      if (this.#live.has(job.job_id) || this.#closed) continue;
      // A job of this owner id that is not live here is only left over on start; later it is one being created.
      if (job.owner === instanceId ? !starting : job.owner !== null && spare.has(job.owner)) continue;
      try {
        const claimed = await store.claim(job.job_id, instanceId, lapseMs);
        if (!claimed) continue;
        const definition = this.#kinds.get(claimed.kind);
        if (definition?.resume) await this.#adopt(claimed, definition);
        else await this.#interrupt(claimed, job.owner === instanceId || job.owner === null);
      } catch (error) {
        // One job that cannot be recovered now must not stop the others (or the start).
        this.#internal(error);
      }
    }
  }

  async #interrupt(job: StoredJob, restarted: boolean) {
    const now = new Date().toISOString();
    // One sentence for what happened, one hint for what to do: the tile shows each once.
    const who = restarted ? 'The server restarted' : 'The server running this job stopped';
    const error = job.state === 'queued' ? `${who} before this job started.` : `${who} while this job was running.`;
    const saved = await this.#options.store.save(
      {
        ...job,
        state: 'failed',
        finished_at: now,
        updated_at: now,
        message: error,
        error: { code: 'interrupted', message: error, hint: INTERRUPTED_HINT },
      },
      { durable: true },
    );
    this.#publish(saved);
    this.#settled(saved);
  }

  /** Follows a job again whose follower stopped, from where it is now (see `JobDefinition.resume`). */
  async #adopt(job: StoredJob, definition: JobDefinition<any>) {
    let logs = 0;
    for (let page; (page = await this.#options.store.readLogs(job.job_id, logs, 1000)).length; ) logs = page.at(-1)!.seq;
    const live = this.#liveJob(job, definition);
    live.writes.logSeq = logs;
    this.#live.set(job.job_id, live);
    this.#options.logger.info({ event: 'job.adopted', job_id: job.job_id, kind: job.kind }, 'job adopted after its follower stopped');
    void this.#run(live, (ctx, input) => definition.resume!(ctx, input, { logs }));
  }

  /** Removes terminal jobs older than the retention window, with their logs and events. */
  async prune() {
    try {
      return await this.#options.store.prune({
        finishedBefore: new Date(Date.now() - this.#options.retentionMs),
        maxEvents: this.#options.maxEvents,
      });
    } catch (error) {
      this.#options.logger.error({ err: String(error) }, 'job-status: pruning failed');
      return { jobs: 0, events: 0 };
    }
  }

  define<Input>(kind: string, definition: JobDefinition<Input>) {
    if (typeof kind !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(kind)) {
      throw new TypeError(`job-status: a kind is 1 to 100 letters, digits or "_.:-" (got ${JSON.stringify(kind)})`);
    }
    if (this.#kinds.has(kind)) throw new TypeError(`job-status: the kind "${kind}" is already defined`);
    if (typeof definition?.run !== 'function') throw new TypeError(`job-status: the kind "${kind}" needs a run function`);
    const { concurrency, timeoutMs } = definition;
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new TypeError(`job-status: concurrency of "${kind}" must be a whole number from 1`);
    }
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new TypeError(`job-status: timeoutMs of "${kind}" must be a positive number`);
    }
    this.#kinds.set(kind, definition);
  }

  /** Jobs of each kind that wait for a slot and that run in this process now (readiness and metrics read it). */
  load(): Map<string, { queued: number; running: number }> {
    const load = new Map<string, { queued: number; running: number }>();
    for (const kind of this.#kinds.keys()) load.set(kind, { queued: this.#queues.get(kind)?.length ?? 0, running: this.#running.get(kind) ?? 0 });
    return load;
  }

  /** The defined kinds, in definition order. */
  kinds(): Array<[string, JobDefinition<any>]> {
    return [...this.#kinds];
  }

  /**
   * Creates a job and returns its queued snapshot at once; the handler runs after the
   * caller has had the answer. Throws a {@link JobStatusError} (400) for an unknown
   * kind or invalid input, in which case no job is made.
   */
  async enqueue(kind: string, input: unknown, options: EnqueueOptions = {}): Promise<JobSnapshot> {
    if (this.#closed) throw new JobStatusError(503, 'closing', 'The job service is shutting down; try again shortly.');
    const definition = this.#kinds.get(kind);
    if (!definition) throw new JobStatusError(400, 'unknown_kind', `kind: no job kind named ${JSON.stringify(kind)} is defined`);
    // Bounded before anything is queued: a hostile input must not fail the store's writes.
    assertBoundedJson(input ?? null, this.#options.inputBounds, 'input');
    await this.#opened();
    this.#health.assertWritable();
    const valid = await validateInput(definition.input, input);
    const key = options.idempotencyKey ? `${options.scope ?? ''}\n${options.idempotencyKey}` : null;
    const create = () => this.#create(kind, definition, valid, options, key);
    const job = key ? await this.#idempotent.enqueue(key, { kind, target: options.target ?? null, input: valid }, create) : await create();
    // A replayed key answers with what readers see now.
    return this.#readable(job);
  }

  async #create(kind: string, definition: JobDefinition<any>, input: unknown, options: EnqueueOptions, key: string | null): Promise<StoredJob> {
    const target = options.target ?? null;
    const now = this.#creation.next();
    const draft: StoredJob = {
      job_id: crypto.randomUUID(),
      kind,
      target,
      label: this.#text(labelOf(definition, kind, input, target)),
      state: 'queued',
      phase: null,
      progress: null,
      message: null,
      error: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
      seq: 0,
      has_logs: false,
      actor: options.actor ?? null,
      input,
      idempotency_key: key,
      owner: this.#options.instanceId,
    };
    this.#bounds.admit(kind);
    let saved: StoredJob;
    try {
      saved = await this.#options.store.save(draft, { durable: true });
      this.#health.succeeded();
    } catch (error) {
      this.#bounds.release(kind);
      if (error instanceof JobStatusError || isDataError(error)) throw error;
      this.#health.failed(error);
      this.#internal(error);
      throw this.#health.unavailable('The job store could not save the new job.');
    }
    const live = this.#liveJob(saved, definition);
    live.queued = true;
    this.#live.set(saved.job_id, live);
    this.#publish(saved);
    this.#options.telemetry.jobEnqueued(saved);
    let queue = this.#queues.get(kind);
    if (!queue) this.#queues.set(kind, (queue = []));
    queue.push(saved.job_id);
    // The work runs after the caller has its answer.
    setTimeout(() => this.#pump(kind), 0);
    return saved;
  }

  /** Waits until the store has opened and left-over jobs are recovered; 503 while it cannot open. */
  async #opened() {
    await this.#health.whenOpened();
    await this.ready;
  }

  /** Lets go of a job's place in the bounded queue (it started, or will never start). */
  #leaveQueue(live: LiveJob) {
    if (!live.queued) return;
    live.queued = false;
    this.#bounds.release(live.writes.draft.kind);
  }

  #liveJob(saved: StoredJob, definition: JobDefinition<any>): LiveJob {
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const { store, logger, maxPendingLogLines, backoff } = this.#options;
    const live: LiveJob = {
      definition,
      writes: new JobWrites(saved, {
        store,
        logger,
        backoff,
        health: this.#health,
        closing: this.#closing.signal,
        maxPendingLines: maxPendingLogLines,
        saved: (job) => this.#publish(job),
        // Announced only once stored: a stream that misses it on the bus reads it from the store.
        appended: (line) => this.#announce({ type: 'log', job_id: saved.job_id, lines: [line], last_seq: line.seq }),
        folded: (draft) => this.#options.telemetry.eventFolded(draft),
        refused: (error) => this.#lost(live, error),
      }),
      queued: false,
      controller: new AbortController(),
      warnings: [],
      finished: false,
      done,
      markDone,
    };
    return live;
  }

  #pump(kind: string) {
    const queue = this.#queues.get(kind);
    const limit = this.#kinds.get(kind)?.concurrency ?? Infinity;
    while (queue?.length && (this.#running.get(kind) ?? 0) < limit && !this.#closed) {
      const live = this.#live.get(queue.shift()!);
      if (live) this.#leaveQueue(live);
      if (live && !live.finished) void this.#run(live);
    }
  }

  async #run(live: LiveJob, handler: Handler = (ctx, input) => live.definition.run(ctx, input)) {
    const { kind } = live.writes.draft;
    const { definition, controller } = live;
    this.#running.set(kind, (this.#running.get(kind) ?? 0) + 1);
    const timer =
      definition.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            const seconds = Math.round(definition.timeoutMs! / 100) / 10;
            controller.abort(new Error('timeout'));
            void this.#finish(live, 'failed', {
              message: `Stopped after ${seconds} s: the action took longer than allowed.`,
              error: { code: 'timeout', message: `The job did not finish within ${seconds} s.`, hint: 'Try again; if it keeps timing out, check that the target is reachable and not overloaded.' },
            });
          }, definition.timeoutMs);
    // An adopted job keeps the time it first started.
    const startedAt = live.writes.draft.started_at ?? new Date().toISOString();
    void live.writes.update({ state: 'running', started_at: startedAt }, true);
    this.#options.telemetry.jobStarted(live.writes.draft);
    try {
      const outcome = (await this.#options.telemetry.runJob(live.writes.draft.job_id, () =>
        handler(createContext(live.writes.draft, controller.signal, this.#contextSink(live)), live.writes.draft.input),
      )) as JobOutcome | void;
      const warning = live.warnings.at(-1);
      await this.#finish(live, warning === undefined ? 'success' : 'warning', {
        message: outcome?.message ?? warning ?? null,
        ...(outcome?.result === undefined ? {} : { result: outcome.result }),
      });
    } catch (thrown) {
      const error = failureOf(thrown, this.#options.maxTextLength);
      await this.#finish(live, 'failed', { message: error.message, error });
    } finally {
      if (timer) clearTimeout(timer);
      this.#running.set(kind, (this.#running.get(kind) ?? 1) - 1);
      live.markDone();
      this.#pump(kind);
    }
  }

  /** The context's calls, bound to one live job. */
  #contextSink(live: LiveJob) {
    return {
      update: (patch: Partial<StoredJob>) => {
        if (live.finished) return;
        void live.writes.update(patch, false);
        this.#options.telemetry.jobChanged(live.writes.draft, patch);
      },
      log: (level: LogLevel, message: string) => {
        if (live.finished) return;
        live.writes.log({
          ts: new Date().toISOString(),
          level: LOG_LEVELS.includes(level) ? level : 'info',
          message: this.#text(String(message)),
        });
        if (!live.writes.draft.has_logs) void live.writes.update({ has_logs: true }, false);
      },
      warn: (message: string) => {
        if (live.finished) return;
        live.warnings.push(this.#text(String(message)));
      },
      text: (value: string) => this.#text(value),
    };
  }

  /**
   * Another process claimed (and maybe finished) this job while this one's heartbeat did
   * not reach the store for longer than the lapse: it took the silence for death. The
   * store refuses this process's writes from then on; it stops the handler and lets the
   * job go.
   */
  #lost(live: LiveJob, error: JobStatusError) {
    const jobId = live.writes.draft.job_id;
    if (this.#live.get(jobId) !== live) return;
    live.finished = true;
    live.controller.abort(new Error('taken over'));
    this.#live.delete(jobId);
    this.#leaveQueue(live);
    live.markDone();
    this.#options.logger.error({ job_id: jobId, err: error.message }, 'job-status: another process took over this job; stopped running it here');
  }

  async #finish(live: LiveJob, state: TerminalJobState, fields: { message: string | null; error?: JobError; result?: unknown }) {
    if (live.finished) return;
    // The log tells the whole story: a failure is its last line, not the last progress line.
    if (fields.error) this.#contextSink(live).log('error', fields.error.hint ? `${fields.error.message} ${fields.error.hint}` : fields.error.message);
    live.finished = true;
    const { writes } = live;
    const result = storableResult(fields.result, this.#options.inputBounds, (error) =>
      this.#options.logger.error({ job_id: writes.draft.job_id, err: error.message }, 'job-status: the result of this job was not kept'),
    );
    let message = fields.message === null ? null : this.#text(fields.message);
    // Lines the store could not take are not hidden behind a success.
    if (writes.lost.lines > 0) {
      if (state === 'success') state = 'warning';
      message = this.#text(`${message ? `${message} ` : ''}${lostLinesMessage(writes.lost.lines)}`);
    }
    // Retried until the store takes it (or the registry closes): the store must not keep
    // the job `running` while nothing runs it.
    await writes.update(
      {
        state,
        finished_at: new Date().toISOString(),
        started_at: writes.draft.started_at,
        message,
        error: fields.error ?? null,
        ...(result === undefined ? {} : { result }),
      },
      true,
    );
    if (this.#live.get(writes.draft.job_id) === live) this.#live.delete(writes.draft.job_id);
    if (isTerminalState(writes.saved.state)) this.#settled(writes.saved);
  }

  #settled(job: StoredJob) {
    const { logger, onSettled } = this.#options;
    if (job.state === 'success') this.#typical.refresh(job.kind, job.target);
    this.#options.telemetry.jobSettled(job);
    const started = job.started_at ? Date.parse(job.started_at) : null;
    logger.info(
      {
        event: 'job.settled',
        job_id: job.job_id,
        kind: job.kind,
        target: job.target,
        actor: job.actor,
        state: job.state,
        queued_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        duration_ms: started !== null && job.finished_at ? Date.parse(job.finished_at) - started : null,
        message: job.message,
        error_code: job.error?.code ?? null,
      },
      'job settled',
    );
    if (onSettled) {
      Promise.resolve()
        .then(() => onSettled(publicSnapshot(job)))
        .catch((error) => this.#internal(error));
    }
  }

  #publish(job: StoredJob) {
    this.#announce({ type: 'job', snapshot: this.#outward(job) });
    this.#options.telemetry.eventPublished(job);
  }

  #announce(message: BusMessage) {
    try {
      void Promise.resolve(this.#options.bus.publish(message)).catch((error) => this.#internal(error));
    } catch (error) {
      this.#internal(error);
    }
  }

  #internal(error: unknown) {
    this.#options.logger.error({ err: error instanceof Error ? (error.stack ?? error.message) : String(error) }, 'job-status: internal error');
  }

  #text(value: string) {
    const max = this.#options.maxTextLength;
    return value.length > max ? `${value.slice(0, max - 1)}…` : value;
  }

  #readable(job: StoredJob): JobSnapshot {
    return this.#outward(this.#live.get(job.job_id)?.writes.saved ?? job);
  }

  /** The wire snapshot, with the typical duration of its kind and target while the job is busy. */
  #outward(job: StoredJob): JobSnapshot {
    if (isTerminalState(job.state)) return publicSnapshot(job);
    const typical = this.#typical.peek(job.kind, job.target);
    return publicSnapshot(job, typeof typical === 'number' ? typical : undefined);
  }

  /** The job's newest snapshot, or null when it is unknown or was pruned. */
  async get(jobId: string): Promise<JobSnapshot | null> {
    await this.#opened();
    const live = this.#live.get(jobId);
    if (live) return this.#outward(live.writes.saved);
    const job = await this.#options.store.get(jobId);
    return job && this.#outward(job);
  }

  async getMany(jobIds: readonly string[]): Promise<JobSnapshot[]> {
    await this.#opened();
    const fromStore = await this.#options.store.getMany(jobIds.filter((id) => !this.#live.has(id)));
    const byId = new Map(fromStore.map((job) => [job.job_id, job]));
    return jobIds.flatMap((id) => {
      const job = this.#live.get(id)?.writes.saved ?? byId.get(id);
      return job ? [this.#outward(job)] : [];
    });
  }

  /**
   * A page of history with only the jobs `keep` allows; reads further pages of the store
   * until the page is full, so a filter never shrinks a page.
   */
  async listVisible(query: ListQuery, keep: (job: JobSnapshot) => boolean): Promise<JobListResponse> {
    await this.#opened();
    const { column } = SORT_COLUMNS[query.sort];
    const jobs: JobSnapshot[] = [];
    let cursor = query.cursor;
    for (let round = 0; round < 20; round++) {
      const page = await this.#options.store.list({ ...query, cursor });
      for (const [index, job] of page.jobs.entries()) {
        const snapshot = this.#outward(job);
        if (!keep(snapshot)) continue;
        jobs.push(snapshot);
        if (jobs.length === query.limit) {
          const more = index < page.jobs.length - 1 || page.next_cursor !== null;
          return { jobs, next_cursor: more ? encodeCursor({ at: job[column], id: job.job_id }) : null };
        }
      }
      if (page.next_cursor === null) return { jobs, next_cursor: null };
      cursor = page.next_cursor;
    }
    return { jobs, next_cursor: cursor ?? null };
  }

  async logs(jobId: string, after: number, limit: number): Promise<JobLogLine[]> {
    await this.#opened();
    // Lines on their way are read once written; while the store is down, what it has is served.
    if (this.#health.state === 'open') await this.#live.get(jobId)?.writes.idle();
    return this.#options.store.readLogs(jobId, after, limit);
  }

  /**
   * Cancels a busy job: a queued one never starts, a running one has its signal aborted.
   * Either way it is `canceled` at once. Throws 404 when unknown, 409 when already finished.
   */
  async cancel(jobId: string, by?: string | null): Promise<JobSnapshot> {
    await this.#opened();
    const live = this.#live.get(jobId);
    if (!live) {
      const job = await this.#options.store.get(jobId);
      if (!job) throw new JobStatusError(404, 'not_found', `id: no job ${jobId}`);
      if (isTerminalState(job.state)) throw new JobStatusError(409, 'already_finished', `The job already finished as ${job.state}.`);
      // Another process runs it: ask it to stop.
      await this.#options.bus.publish({ type: 'cancel', job_id: jobId });
      return publicSnapshot(job);
    }
    if (live.finished) throw new JobStatusError(409, 'already_finished', `The job already finished as ${live.writes.draft.state}.`);
    const queue = this.#queues.get(live.writes.draft.kind);
    const index = queue?.indexOf(jobId) ?? -1;
    if (index >= 0) {
      queue!.splice(index, 1);
      this.#leaveQueue(live);
      live.markDone();
    }
    live.controller.abort(new Error('canceled'));
    await this.#finish(live, 'canceled', { message: by ? `Canceled by ${by}.` : 'Canceled.' });
    return publicSnapshot(live.writes.saved);
  }

  /**
   * Stops accepting jobs and waits up to `closeTimeoutMs` for running handlers, then
   * aborts the rest (they are recovered as `interrupted` on the next start) and closes
   * the store and the bus.
   */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retentionTimer) clearInterval(this.#retentionTimer);
    if (this.#ownerTimer) clearInterval(this.#ownerTimer);
    // A store that never opened has nothing to close.
    if (this.#health.state === 'opening') this.#closing.abort();
    if (!(await this.ready.then(() => true, () => false))) {
      this.#unsubscribe();
      return this.#options.store.close().catch((error) => this.#internal(error));
    }
    // Queued jobs will not start now; the next start recovers them as interrupted.
    for (const queue of this.#queues.values()) {
      for (const id of queue.splice(0)) this.#live.get(id)?.markDone();
    }
    const running = [...this.#live.values()].map((live) => live.done);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(running),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
    for (const live of this.#live.values()) live.controller.abort(new Error('closing'));
    // Writes still waiting for the store get one last try each; what fails is logged as lost.
    this.#closing.abort();
    await Promise.all([...this.#live.values()].map((live) => live.writes.idle()));
    await this.#recovering;
    this.#unsubscribe();
    // Stopping on purpose: whatever this process leaves busy may be recovered at once.
    await this.#options.store.release(this.#options.instanceId).catch((error) => this.#internal(error));
    await this.#options.store.close().catch((error) => this.#internal(error));
  }
}
