// About 330 lines: the wiring of its parts (the constructor) and the surface routes and
// createJobStatus call; each concern lives in a module of its own, named in the class's doc.
import type { JobListResponse, JobLogLine, JobSnapshot } from '@job-status/protocol';
import { queuedSnapshot } from '@job-status/protocol';
import type { BusMessage, JobBus } from '../buses/bus.js';
import { JobStatusError } from '../errors.js';
import type { JobStatusLogger } from '../options.js';
import type { JobStore, ListQuery, StoredJob } from '../stores/store.js';
import type { JobStatusTelemetry } from '../telemetry/telemetry.js';
import { QueueBounds } from './admission.js';
import type { Backoff } from './backoff.js';
import type { JobStatusClock } from './clock.js';
import { CreationClock } from './creation-clock.js';
import { assertDefinition, labelOf } from './definition.js';
import type { JobDefinition } from './definition.js';
import { IdempotentEnqueues } from './idempotency.js';
import { assertBoundedJson, validateInput } from './input.js';
import type { InputBounds } from './input.js';
import { JobReads } from './job-reads.js';
import type { PolledJob } from './job-reads.js';
import { LiveJobs } from './live-jobs.js';
import { OwnerHeartbeat } from './owner-heartbeat.js';
import { Retention } from './retention.js';
import { RunQueue } from './run-queue.js';
import { SettledAudit } from './settled-audit.js';
import { isDataError } from './store-health.js';
import type { StoreHealth } from './store-health.js';
import { Stopping } from './stopping.js';
import { TypicalDurations } from './typical-durations.js';

/**
 * What `jobs.enqueue()` may say about a new job besides its kind and input. All optional:
 * a job without them has no target, no actor, and is never matched with another.
 *
 * @example
 * await jobs.enqueue('sync.push', { full: true }, { target: 'peer-a', actor: user.name, idempotencyKey: requestId, scope: user.id })
 */
export interface EnqueueOptions {
  /** What the job acts on, e.g. a peer name; tiles follow the newest job of a kind and target. Default null. */
  target?: string | null;
  /** Who asked for it; recorded as the job's `actor`. Default null (a system job). */
  actor?: string | null;
  /**
   * With the same key (and the same `scope`, usually the caller's id), a repeated enqueue
   * returns the first job instead of starting a second one, for as long as that job is
   * kept. Default null: every enqueue starts a job.
   */
  idempotencyKey?: string | null;
  /** Whose keys `idempotencyKey` is compared with: one caller's key never matches another's. `POST /` uses the principal's id. Default: one scope for the whole app. */
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
  /** Times heartbeats, the lapse, timeouts, retention and the times written on jobs. */
  clock: JobStatusClock;
}

/**
 * Runs jobs and keeps their state: numbers every change through the store, publishes it
 * on the bus, and composes the parts that start jobs in order ({@link RunQueue}), keep
 * this process's ownership and recover dead owners' jobs ({@link OwnerHeartbeat}), stop
 * jobs early ({@link Stopping}), record settled ones ({@link SettledAudit}), answer
 * readers ({@link JobReads}) and forget old ones ({@link Retention}).
 */
export class JobRegistry {
  readonly #options: RegistryOptions;
  readonly #health: StoreHealth;
  readonly #bounds: QueueBounds;
  readonly #kinds = new Map<string, JobDefinition<any>>();
  readonly #live: LiveJobs;
  /** Aborted by `close()`: the store stops being opened; writes get a last try instead of waiting. */
  readonly #closing = new AbortController();
  readonly #idempotent: IdempotentEnqueues;
  readonly #unsubscribe: () => void;
  readonly #typical: TypicalDurations;
  readonly #creation: CreationClock;
  readonly #runs: RunQueue;
  readonly #owner: OwnerHeartbeat;
  readonly #stopping: Stopping;
  readonly #audit: SettledAudit;
  readonly #reads: JobReads;
  readonly #retention: Retention;
  /** Resolves once the store is open and left-over jobs are recovered. */
  readonly ready: Promise<{ epoch: string }>;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.#health = options.health;
    this.#creation = new CreationClock(() => options.clock.now());
    this.#bounds = new QueueBounds(options);
    this.#idempotent = new IdempotentEnqueues(options.store);
    const internal = (error: unknown) => this.#internal(error);
    this.#typical = new TypicalDurations(options.store, internal);
    this.#retention = new Retention(options);
    this.#live = new LiveJobs({
      ...options,
      health: this.#health,
      closing: this.#closing.signal,
      maxPendingLines: options.maxPendingLogLines,
      text: (value) => this.#text(value),
      saved: (job) => this.#publish(job),
      // Announced only once stored: a stream that misses it on the bus reads it from the store.
      appended: (job_id, line) => this.#announce({ type: 'log', job_id, lines: [line], last_seq: line.seq }),
      leave: (live) => this.#runs.leave(live),
      settled: (job) => this.#audit.record(job),
    });
    this.#reads = new JobReads({ ...options, live: this.#live, typical: this.#typical });
    this.#runs = new RunQueue({
      ...options,
      live: this.#live,
      definition: (kind) => this.#kinds.get(kind),
      closed: () => this.#stopping.closed,
      bounds: this.#bounds,
    });
    this.#owner = new OwnerHeartbeat({
      ...options,
      isLive: (jobId) => this.#live.has(jobId),
      definition: (kind) => this.#kinds.get(kind),
      adopt: (job, definition, logs) => this.#adopt(job, definition, logs),
      interrupted: (job) => {
        this.#publish(job);
        this.#audit.record(job);
      },
      internal,
    });
    this.#stopping = new Stopping({
      ...options,
      live: this.#live,
      closing: this.#closing,
      runs: this.#runs,
      owner: this.#owner,
      ready: () => this.ready,
      opened: () => this.#opened(),
      stopTimers: () => this.#retention.stop(),
      unsubscribe: () => this.#unsubscribe(),
      internal,
    });
    this.#audit = new SettledAudit({ ...options, succeeded: (kind, target) => this.#typical.refresh(kind, target), internal });
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
      await this.#owner.first();
      this.#creation.seed((await this.#options.store.list({ sort: 'created_desc', limit: 1 })).jobs[0]?.created_at);
      await this.#owner.recover(true);
    } catch (error) {
      // The store went down right after it opened: the periodic beat tries again.
      this.#health.failed(error);
      this.#internal(error);
    }
    await this.#retention.start();
    this.#owner.start();
    return opened;
  }

  /** Follows a job again whose follower stopped, from where it is now (see `JobDefinition.resume`). */
  #adopt(job: StoredJob, definition: JobDefinition<any>, logs: number) {
    const live = this.#live.create(job, definition);
    live.writes.logSeq = logs;
    this.#live.set(job.job_id, live);
    this.#options.logger.info({ event: 'job.adopted', job_id: job.job_id, kind: job.kind }, 'job adopted after its follower stopped');
    void this.#runs.run(live, (ctx, input) => definition.resume!(ctx, input, { logs }));
  }

  define<Input>(kind: string, definition: JobDefinition<Input>) {
    assertDefinition(kind, definition, this.#kinds.has(kind));
    this.#kinds.set(kind, definition);
  }

  /** Jobs of each kind that wait for a slot and that run in this process now (readiness and metrics read it). */
  load(): Map<string, { queued: number; running: number }> {
    return this.#runs.load(this.#kinds.keys());
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
    if (this.#stopping.closed) throw new JobStatusError(503, 'closing', 'The job service is shutting down; try again shortly.');
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
    return this.#reads.readable(job);
  }

  async #create(kind: string, definition: JobDefinition<any>, input: unknown, options: EnqueueOptions, key: string | null): Promise<StoredJob> {
    const target = options.target ?? null;
    const now = this.#creation.next();
    const draft: StoredJob = {
      ...queuedSnapshot({
        job_id: crypto.randomUUID(),
        kind,
        target,
        label: this.#text(labelOf(definition, kind, input, target)),
        created_at: now,
        seq: 0,
        actor: options.actor ?? null,
      }),
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
    const live = this.#live.create(saved, definition);
    live.queued = true;
    this.#live.set(saved.job_id, live);
    this.#publish(saved);
    this.#options.telemetry.jobEnqueued(saved);
    this.#runs.push(live);
    return saved;
  }

  /** Waits until the store has opened and left-over jobs are recovered; 503 while it cannot open. */
  async #opened() {
    await this.#health.whenOpened();
    await this.ready;
  }

  #publish(job: StoredJob) {
    this.#announce({ type: 'job', snapshot: this.#reads.outward(job) });
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

  /** The job's newest snapshot, or null when it is unknown or was pruned. */
  async get(jobId: string): Promise<JobSnapshot | null> {
    await this.#opened();
    return this.#reads.get(jobId);
  }

  async getMany(jobIds: readonly string[]): Promise<JobSnapshot[]> {
    await this.#opened();
    return this.#reads.getMany(jobIds);
  }

  /** {@link getMany}, each snapshot with its JSON (made once per saved state): for polls. */
  async poll(jobIds: readonly string[]): Promise<PolledJob[]> {
    await this.#opened();
    return this.#reads.poll(jobIds);
  }

  /**
   * {@link poll}, at once, when that can be known without waiting: every job this process
   * runs, and the others from a store that reads synchronously (`getNow`); undefined
   * otherwise. For callers that know the store opened and the registry started.
   */
  pollNow(jobIds: Iterable<string>): PolledJob[] | undefined {
    return this.#reads.pollNow(jobIds);
  }

  /** A page of history with only the jobs `keep` allows, full unless history ends. */
  async listVisible(query: ListQuery, keep: (job: JobSnapshot) => boolean): Promise<JobListResponse> {
    await this.#opened();
    return this.#reads.list(query, keep);
  }

  async logs(jobId: string, after: number, limit: number): Promise<JobLogLine[]> {
    await this.#opened();
    return this.#reads.logs(jobId, after, limit);
  }

  /**
   * Cancels a busy job: a queued one never starts, a running one has its signal aborted.
   * Either way it is `canceled` at once. Throws 404 when unknown, 409 when already finished.
   */
  cancel(jobId: string, by?: string | null): Promise<JobSnapshot> {
    return this.#stopping.cancel(jobId, by);
  }

  /**
   * Stops accepting jobs and waits up to `closeTimeoutMs` for running handlers, then
   * aborts the rest (they are recovered as `interrupted` on the next start) and closes
   * the store and the bus.
   */
  close(): Promise<void> {
    return this.#stopping.close();
  }
}
