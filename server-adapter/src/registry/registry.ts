import type { JobError, JobListResponse, JobLogLine, JobSnapshot, LogLevel, TerminalJobState } from '@job-status/protocol';
import { LOG_LEVELS, isTerminalState } from '@job-status/protocol';
import type { BusMessage, JobBus } from '../buses/bus.js';
import { JobStatusError } from '../errors.js';
import type { JobStatusLogger } from '../options.js';
import { publicSnapshot } from '../stores/store.js';
import { SORT_COLUMNS, encodeCursor } from '../stores/cursor.js';
import type { JobStore, ListQuery, StoredJob } from '../stores/store.js';
import { createContext } from './context.js';
import type { JobContext, JobDefinition, JobOutcome, StandardSchema } from './definition.js';

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
  /** The newest state, not yet numbered when a save is on its way. */
  draft: StoredJob;
  /** The newest state that was saved and published: what readers get. */
  saved: StoredJob;
  /** Saves of one job run one after another, in call order. */
  chain: Promise<void>;
  /** A save is queued on `chain` and will take the newest draft. */
  scheduled: boolean;
  /** The queued save must be committed before it is announced. */
  durable: boolean;
  controller: AbortController;
  logSeq: number;
  warnings: string[];
  finished: boolean;
  /** Resolves when the handler has returned (or will never start). */
  done: Promise<void>;
  markDone: () => void;
}

const INTERRUPTED_HINT = 'The server restarted while this job was in progress. Nothing is running now: run the action again.';
/** What the run of a live job calls: the definition's `run`, or its `resume` for an adopted job. */
type Handler = (ctx: JobContext, input: unknown) => Promise<JobOutcome | void> | JobOutcome | void;

/**
 * Runs jobs and keeps their state: numbers every change through the store, publishes it
 * on the bus, enforces per-kind concurrency and timeouts, and recovers jobs a dead
 * process left behind.
 */
export class JobRegistry {
  readonly #options: RegistryOptions;
  readonly #kinds = new Map<string, JobDefinition<any>>();
  readonly #live = new Map<string, LiveJob>();
  readonly #queues = new Map<string, string[]>();
  readonly #running = new Map<string, number>();
  readonly #pendingKeys = new Map<string, Promise<JobSnapshot>>();
  readonly #unsubscribe: () => void;
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
    this.#unsubscribe = options.bus.subscribe((message) => {
      if (message.type === 'cancel' && this.#live.has(message.job_id)) void this.cancel(message.job_id);
    });
    this.ready = this.#start();
    // Keep an unhandled rejection from killing the process; callers await `ready` and see it.
    this.ready.catch((error) => options.logger.error({ err: String(error) }, 'job-status: the store did not open'));
  }

  async #start() {
    const opened = await this.#options.store.open();
    await this.#options.store.beat(this.#options.instanceId);
    this.#beatingSince = Date.now();
    await this.#recover(true);
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
      this.#beatingSince ??= Date.now();
    } catch (error) {
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
    const who = restarted ? 'The server restarted' : 'The server running this job stopped';
    const error = restarted ? 'The job was interrupted by a server restart.' : 'The job was interrupted: the server running it stopped answering.';
    const saved = await this.#options.store.save(
      {
        ...job,
        state: 'failed',
        finished_at: now,
        updated_at: now,
        message: job.state === 'queued' ? `${who} before this job started.` : `${who} while this job was running.`,
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
    live.logSeq = logs;
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
    const key = options.idempotencyKey ? `${options.scope ?? ''}\n${options.idempotencyKey}` : null;
    if (!key) return this.#create(kind, definition, input, options, null);
    // Two requests with one key at the same moment share one job.
    const pending = this.#pendingKeys.get(key);
    if (pending) return pending;
    const created = (async () => {
      await this.ready;
      const existing = await this.#options.store.findByIdempotencyKey(key);
      if (existing) return this.#readable(existing);
      try {
        return await this.#create(kind, definition, input, options, key);
      } catch (error) {
        // Another instance made the job with this key at the same moment: answer with it.
        const made = error instanceof JobStatusError ? null : await this.#options.store.findByIdempotencyKey(key);
        if (made) return this.#readable(made);
        throw error;
      }
    })();
    this.#pendingKeys.set(key, created);
    try {
      return await created;
    } finally {
      this.#pendingKeys.delete(key);
    }
  }

  async #create(kind: string, definition: JobDefinition<any>, rawInput: unknown, options: EnqueueOptions, key: string | null) {
    await this.ready;
    const input = await validateInput(definition.input, rawInput);
    const target = options.target ?? null;
    const now = new Date().toISOString();
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
    const saved = await this.#options.store.save(draft, { durable: true });
    const live = this.#liveJob(saved, definition);
    this.#live.set(saved.job_id, live);
    this.#publish(saved);
    let queue = this.#queues.get(kind);
    if (!queue) this.#queues.set(kind, (queue = []));
    queue.push(saved.job_id);
    // The work runs after the caller has its answer.
    setTimeout(() => this.#pump(kind), 0);
    return publicSnapshot(saved);
  }

  #liveJob(saved: StoredJob, definition: JobDefinition<any>): LiveJob {
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    return {
      definition,
      draft: saved,
      saved,
      chain: Promise.resolve(),
      scheduled: false,
      durable: false,
      controller: new AbortController(),
      logSeq: 0,
      warnings: [],
      finished: false,
      done,
      markDone,
    };
  }

  #pump(kind: string) {
    const queue = this.#queues.get(kind);
    const limit = this.#kinds.get(kind)?.concurrency ?? Infinity;
    while (queue?.length && (this.#running.get(kind) ?? 0) < limit && !this.#closed) {
      const live = this.#live.get(queue.shift()!);
      if (live && !live.finished) void this.#run(live);
    }
  }

  async #run(live: LiveJob, handler: Handler = (ctx, input) => live.definition.run(ctx, input)) {
    const { kind } = live.draft;
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
    const startedAt = live.draft.started_at ?? new Date().toISOString();
    void this.#update(live, { state: 'running', started_at: startedAt }, true);
    try {
      const outcome = (await handler(createContext(live.draft, controller.signal, this.#contextSink(live)), live.draft.input)) as JobOutcome | void;
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
        if (!live.finished) void this.#update(live, patch, false);
      },
      log: (level: LogLevel, message: string) => {
        if (live.finished) return;
        const line = {
          seq: ++live.logSeq,
          ts: new Date().toISOString(),
          level: LOG_LEVELS.includes(level) ? level : 'info',
          message: this.#text(String(message)),
        };
        const jobId = live.draft.job_id;
        // Announced only once stored: a stream that misses it on the bus reads it from the store.
        live.chain = live.chain
          .then(() => this.#options.store.appendLog(jobId, line))
          .then(() => this.#announce({ type: 'log', job_id: jobId, lines: [line], last_seq: line.seq }))
          .catch((error) => this.#internal(error));
        if (!live.draft.has_logs) void this.#update(live, { has_logs: true }, false);
      },
      warn: (message: string) => {
        if (live.finished) return;
        live.warnings.push(this.#text(String(message)));
      },
      text: (value: string) => this.#text(value),
    };
  }

  /**
   * Applies a change to a live job, then saves and publishes it after the changes before
   * it. Changes made in one burst (phase, progress and a log line in the same tick) are
   * folded into the one save that is still waiting, so they go out as one event.
   */
  #update(live: LiveJob, patch: Partial<StoredJob>, durable: boolean): Promise<void> {
    live.draft = { ...live.draft, ...patch, updated_at: new Date().toISOString() };
    live.durable ||= durable;
    if (live.scheduled) return live.chain;
    live.scheduled = true;
    live.chain = live.chain
      .then(async () => {
        const draft = live.draft;
        const options = { durable: live.durable };
        live.scheduled = false;
        live.durable = false;
        const saved = await this.#options.store.save(draft, options);
        live.saved = saved;
        this.#publish(saved);
      })
      .catch((error) => {
        if (error instanceof JobStatusError && (error.code === 'already_finished' || error.code === 'not_owner')) this.#lost(live, error);
        else this.#internal(error);
      });
    return live.chain;
  }

  /**
   * Another process claimed (and maybe finished) this job while this one's heartbeat did
   * not reach the store for longer than the lapse: it took the silence for death. The
   * store refuses this process's writes from then on; it stops the handler and lets the
   * job go.
   */
  #lost(live: LiveJob, error: JobStatusError) {
    if (this.#live.get(live.draft.job_id) !== live) return;
    live.finished = true;
    live.controller.abort(new Error('taken over'));
    this.#live.delete(live.draft.job_id);
    live.markDone();
    this.#options.logger.error({ job_id: live.draft.job_id, err: error.message }, 'job-status: another process took over this job; stopped running it here');
  }

  async #finish(live: LiveJob, state: TerminalJobState, fields: { message: string | null; error?: JobError; result?: unknown }) {
    if (live.finished) return;
    live.finished = true;
    const now = new Date().toISOString();
    await this.#update(
      live,
      {
        state,
        finished_at: now,
        started_at: live.draft.started_at,
        message: fields.message === null ? null : this.#text(fields.message),
        error: fields.error ?? null,
        ...(fields.result === undefined ? {} : { result: fields.result }),
      },
      true,
    );
    // The store did not take the outcome (it is unreachable): keep the job and try again,
    // rather than leave it `running` in the store while nothing runs it.
    for (let wait = 1000; !isTerminalState(live.saved.state) && this.#live.get(live.draft.job_id) === live && !this.#closed; wait = Math.min(wait * 2, 30_000)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      await this.#update(live, {}, true);
    }
    if (this.#live.get(live.draft.job_id) === live) this.#live.delete(live.draft.job_id);
    if (isTerminalState(live.saved.state)) this.#settled(live.saved);
  }

  #settled(job: StoredJob) {
    const { logger, onSettled } = this.#options;
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
    this.#announce({ type: 'job', snapshot: publicSnapshot(job) });
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
    return publicSnapshot(this.#live.get(job.job_id)?.saved ?? job);
  }

  /** The job's newest snapshot, or null when it is unknown or was pruned. */
  async get(jobId: string): Promise<JobSnapshot | null> {
    await this.ready;
    const live = this.#live.get(jobId);
    if (live) return publicSnapshot(live.saved);
    const job = await this.#options.store.get(jobId);
    return job && publicSnapshot(job);
  }

  async getMany(jobIds: readonly string[]): Promise<JobSnapshot[]> {
    await this.ready;
    const fromStore = await this.#options.store.getMany(jobIds.filter((id) => !this.#live.has(id)));
    const byId = new Map(fromStore.map((job) => [job.job_id, job]));
    return jobIds.flatMap((id) => {
      const job = this.#live.get(id)?.saved ?? byId.get(id);
      return job ? [publicSnapshot(job)] : [];
    });
  }

  /**
   * A page of history with only the jobs `keep` allows; reads further pages of the store
   * until the page is full, so a filter never shrinks a page.
   */
  async listVisible(query: ListQuery, keep: (job: JobSnapshot) => boolean): Promise<JobListResponse> {
    await this.ready;
    const { column } = SORT_COLUMNS[query.sort];
    const jobs: JobSnapshot[] = [];
    let cursor = query.cursor;
    for (let round = 0; round < 20; round++) {
      const page = await this.#options.store.list({ ...query, cursor });
      for (const [index, job] of page.jobs.entries()) {
        const snapshot = publicSnapshot(job);
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
    await this.ready;
    await this.#live.get(jobId)?.chain;
    return this.#options.store.readLogs(jobId, after, limit);
  }

  /**
   * Cancels a busy job: a queued one never starts, a running one has its signal aborted.
   * Either way it is `canceled` at once. Throws 404 when unknown, 409 when already finished.
   */
  async cancel(jobId: string, by?: string | null): Promise<JobSnapshot> {
    await this.ready;
    const live = this.#live.get(jobId);
    if (!live) {
      const job = await this.#options.store.get(jobId);
      if (!job) throw new JobStatusError(404, 'not_found', `id: no job ${jobId}`);
      if (isTerminalState(job.state)) throw new JobStatusError(409, 'already_finished', `The job already finished as ${job.state}.`);
      // Another process runs it: ask it to stop.
      await this.#options.bus.publish({ type: 'cancel', job_id: jobId });
      return publicSnapshot(job);
    }
    if (live.finished) throw new JobStatusError(409, 'already_finished', `The job already finished as ${live.draft.state}.`);
    const queue = this.#queues.get(live.draft.kind);
    const index = queue?.indexOf(jobId) ?? -1;
    if (index >= 0) {
      queue!.splice(index, 1);
      live.markDone();
    }
    live.controller.abort(new Error('canceled'));
    await this.#finish(live, 'canceled', { message: by ? `Canceled by ${by}.` : 'Canceled.' });
    return publicSnapshot(live.saved);
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
    await this.ready.catch(() => undefined);
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
    await Promise.all([...this.#live.values()].map((live) => live.chain));
    await this.#recovering;
    this.#unsubscribe();
    // Stopping on purpose: whatever this process leaves busy may be recovered at once.
    await this.#options.store.release(this.#options.instanceId).catch((error) => this.#internal(error));
    await this.#options.store.close();
  }
}

function labelOf(definition: JobDefinition<any>, kind: string, input: unknown, target: string | null): string {
  const { label } = definition;
  if (typeof label === 'function') return String(label(input, target));
  if (typeof label === 'string') return label;
  return target ? `${kind} ${target}` : kind;
}

async function validateInput(schema: StandardSchema | undefined, input: unknown) {
  if (!schema) return input ?? null;
  const result = await schema['~standard'].validate(input);
  if (!result.issues) return result.value;
  const issue = result.issues[0]!;
  const path = (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part));
  throw new JobStatusError(400, 'invalid_input', `${['input', ...path].join('.')}: ${issue.message}`);
}

/** What a thrown value means for the admin: its message, a code, and a hint when it has one. */
function failureOf(thrown: unknown, maxLength: number): JobError {
  const record = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as { message?: unknown; code?: unknown; hint?: unknown };
  const message = typeof record.message === 'string' && record.message ? record.message : typeof thrown === 'string' ? thrown : 'The job failed.';
  return {
    code: typeof record.code === 'string' && record.code ? record.code.slice(0, 100) : 'failed',
    message: message.slice(0, maxLength),
    hint: typeof record.hint === 'string' ? record.hint.slice(0, maxLength) : null,
  };
}
