import { isTerminalState } from '@job-status/protocol';
import type {
  EnqueueResponse,
  JobListResponse,
  JobLogLine,
  JobLogsResponse,
  JobSnapshot,
  LogLevel,
} from '@job-status/protocol';
import { JobStatusError } from '@job-status/elements/client';
import type {
  ConnectionState,
  EnqueueOptions,
  JobFilter,
  JobListener,
  JobListQuery,
  JobScope,
  JobStatusClient,
  JobStatusConnection,
  LogsOptions,
  RequestOptions,
} from '@job-status/elements/client';

/** One line of a job's log, as a story writes it: `['info', 'Connecting to peer-a']`. */
export type ScriptLine = readonly [LogLevel, string];

/**
 * One beat of a job's script: after `after` milliseconds, change these fields and append
 * these log lines. A change to `running` sets `started_at`; a terminal state sets
 * `finished_at` and ends the script.
 */
export interface ScriptStep {
  after: number;
  set?: Partial<Pick<JobSnapshot, 'state' | 'phase' | 'progress' | 'message' | 'error' | 'result'>>;
  log?: readonly ScriptLine[];
}

/** What a {@link ScriptedClient} knows and does. Every field is optional. */
export interface ScriptedClientOptions {
  /** The history: jobs that exist when the story opens. */
  jobs?: readonly JobSnapshot[];
  /** Log lines of those jobs, by job id. */
  logs?: Readonly<Record<string, readonly ScriptLine[]>>;
  /** Scripts that play on their own from the start, by job id (a job of `jobs`). */
  playing?: Readonly<Record<string, readonly ScriptStep[]>>;
  /**
   * What `enqueue` plays for each kind (steps, or steps by target); a kind without a
   * script stays queued.
   */
  scripts?: Readonly<Record<string, readonly ScriptStep[] | ((target: string | null) => readonly ScriptStep[])>>;
  /** Jobs that other admins start while the story is open: each appears `after` ms from the start, then plays `script`. */
  arrivals?: readonly { after: number; job: JobSnapshot; script?: readonly ScriptStep[] }[];
  /** Labels of new jobs, by kind: `(target) => 'Push to ' + target`. Default: the kind. */
  labels?: Readonly<Record<string, (target: string | null) => string>>;
  /** The connection state shown by `<job-list>`. Default `live`. */
  connection?: ConnectionState;
  /** Updates cannot be had (stream down, polls failing): every element shows it. Default false. */
  stale?: boolean;
  /** When the last update arrived (ms since the epoch), as `connection.lastUpdateAt`. Default: when the client was made. */
  lastUpdateAt?: number | null;
  /** Milliseconds before each answer. Default 30. */
  latency?: number;
  /** Never answer a watch: the elements stay on "Loading". */
  silent?: boolean;
  /** Answer every watch with this error, as a client the server refused (401/403) does. */
  refuseWatch?: JobStatusError;
  /** Reject every `enqueue` with this error. */
  refuseEnqueue?: JobStatusError;
  /** Reject every `list` with this error (a dashboard that cannot reach the server). */
  refuseList?: JobStatusError;
  /** Who starts the jobs that `enqueue` creates. Default `ada@example.com`. */
  actor?: string;
}

class Connection extends EventTarget implements JobStatusConnection {
  state: ConnectionState;
  error: JobStatusError | null = null;
  /** A scripted connection is never stale unless a story says so. */
  stale: boolean;
  lastUpdateAt: number | null;
  constructor(state: ConnectionState, stale = false, lastUpdateAt: number | null = Date.now()) {
    super();
    this.state = state;
    this.stale = stale;
    this.lastUpdateAt = lastUpdateAt;
  }
  set(state: ConnectionState, error: JobStatusError | null = null) {
    if (state === this.state && error === this.error) return;
    this.state = state;
    this.error = error;
    this.dispatchEvent(new Event('change'));
  }
}

interface Watch {
  listener: JobListener;
  /** A job id, or a scope. */
  jobId?: string;
  scope?: { kind: string; target: string | null };
  /** The job a scope watch last delivered. */
  shown?: string;
}

let created = 0;
/** A made-up UUID v4 for a job that `enqueue` creates, different for each one. */
const uuid = () => `5b0e7c1d-0000-4000-8000-${(++created).toString(16).padStart(12, '0')}`;

/**
 * An in-memory {@link JobStatusClient} for stories: it holds a history of jobs, answers
 * `list`, `get` and `logs` from it, and plays scripts (queued → running → an outcome) on
 * a timer, so a story shows every state without a server. For stories only: nothing
 * else in the project uses it.
 *
 * @example
 * const client = new ScriptedClient({ jobs: [job({ state: 'running' })] });
 * html`<job-status .client=${client} job-id=${client.jobs[0].job_id}></job-status>`;
 */
export class ScriptedClient implements JobStatusClient {
  readonly baseUrl = 'memory:stories';
  readonly interval = 3000;
  readonly #connection: Connection;
  readonly #options: ScriptedClientOptions;
  readonly #jobs = new Map<string, JobSnapshot>();
  readonly #logs = new Map<string, JobLogLine[]>();
  readonly #watches = new Set<Watch>();
  readonly #feeds = new Set<{ filter: JobFilter; listener: (jobs: JobSnapshot[]) => void }>();
  readonly #tails = new Set<{ jobId: string; listener: (lines: JobLogLine[]) => void }>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** The pending step of each playing script, so `cancel` can stop it. */
  readonly #scripts = new Map<string, ReturnType<typeof setTimeout> | undefined>();
  #seq = 1000;
  #closed = false;

  constructor(options: ScriptedClientOptions = {}) {
    this.#options = options;
    this.#connection = new Connection(options.connection ?? 'live', options.stale, options.lastUpdateAt);
    for (const job of options.jobs ?? []) {
      this.#jobs.set(job.job_id, job);
      this.#seq = Math.max(this.#seq, job.seq);
    }
    for (const [id, lines] of Object.entries(options.logs ?? {})) {
      // Spread the history's lines over the time the job ran.
      const job = this.#jobs.get(id);
      const start = Date.parse(job?.started_at ?? job?.created_at ?? '') || Date.now();
      const span = (Date.parse(job?.finished_at ?? '') || Date.now()) - start;
      lines.forEach((line, i) => this.#append(id, line, start + (span * i) / Math.max(1, lines.length - 1)));
    }
    for (const [id, steps] of Object.entries(options.playing ?? {})) this.play(id, steps);
    for (const { after, job, script } of options.arrivals ?? []) {
      this.#later(() => {
        const now = new Date().toISOString();
        this.add({ ...job, created_at: now, updated_at: now, started_at: job.started_at && now });
        if (script) this.play(job.job_id, script);
      }, after);
    }
  }

  get connection(): JobStatusConnection {
    return this.#connection;
  }

  /** Every job, newest first. */
  get jobs(): JobSnapshot[] {
    return [...this.#jobs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Adds a job to the history, as if another admin had started it. */
  add(job: JobSnapshot): void {
    this.#update({ ...job, seq: ++this.#seq });
  }

  /** Plays `steps` on the job `jobId`, replacing any script it was playing. */
  play(jobId: string, steps: readonly ScriptStep[]): void {
    clearTimeout(this.#scripts.get(jobId));
    const run = (index: number) => {
      const step = steps[index];
      const job = this.#jobs.get(jobId);
      if (!step || !job || isTerminalState(job.state)) {
        this.#scripts.delete(jobId);
        return;
      }
      this.#scripts.set(
        jobId,
        this.#later(() => {
          for (const line of step.log ?? []) this.#append(jobId, line);
          this.#update(this.#advance(this.#jobs.get(jobId)!, step));
          run(index + 1);
        }, step.after),
      );
    };
    run(0);
  }

  watch(jobId: string, listener: JobListener): () => void {
    return this.#subscribe({ listener, jobId });
  }

  watchScope({ kind, target = null }: JobScope, listener: JobListener): () => void {
    return this.#subscribe({ listener, scope: { kind, target } });
  }

  watchLogs(jobId: string, _after: number, listener: (lines: JobLogLine[]) => void): () => void {
    const tail = { jobId, listener };
    this.#tails.add(tail);
    return () => this.#tails.delete(tail);
  }

  watchJobs(filter: JobFilter, listener: (jobs: JobSnapshot[]) => void): () => void {
    const feed = { filter, listener };
    this.#feeds.add(feed);
    return () => this.#feeds.delete(feed);
  }

  async enqueue(kind: string, _input?: unknown, options: EnqueueOptions = {}): Promise<EnqueueResponse> {
    await this.#answer(options.signal);
    if (this.#options.refuseEnqueue) throw this.#options.refuseEnqueue;
    const target = options.target ?? null;
    const now = new Date().toISOString();
    const job: JobSnapshot = {
      job_id: uuid(),
      kind,
      target,
      label: this.#options.labels?.[kind]?.(target) ?? kind,
      state: 'queued',
      phase: null,
      progress: null,
      message: null,
      error: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
      seq: ++this.#seq,
      has_logs: false,
      actor: this.#options.actor ?? 'ada@example.com',
    };
    this.#update(job);
    const script = this.#options.scripts?.[kind];
    if (script) this.play(job.job_id, typeof script === 'function' ? script(target) : script);
    return { job_id: job.job_id, initial_status: job };
  }

  async get(jobId: string, options: RequestOptions = {}): Promise<JobSnapshot> {
    await this.#answer(options.signal);
    const job = this.#jobs.get(jobId);
    if (!job) throw new JobStatusError('http', 'Job not found', 404, 'not_found');
    return job;
  }

  async list(query: JobListQuery = {}, options: RequestOptions = {}): Promise<JobListResponse> {
    await this.#answer(options.signal);
    if (this.#options.refuseList) throw this.#options.refuseList;
    const { state, kind, target, ids, sort = 'created_desc', limit = 20, cursor } = query;
    const key = sort === 'updated_desc' ? 'updated_at' : 'created_at';
    const found = [...this.#jobs.values()]
      .filter(
        (job) =>
          (!state || job.state === state) &&
          (!kind || job.kind === kind) &&
          (!target || job.target === target) &&
          (!ids || ids.includes(job.job_id)),
      )
      .sort((a, b) => (sort === 'created_asc' ? 1 : -1) * a[key].localeCompare(b[key]));
    const start = Number(cursor ?? 0);
    const end = start + limit;
    return { jobs: found.slice(start, end), next_cursor: end < found.length ? String(end) : null };
  }

  async logs(jobId: string, after = 0, options: LogsOptions = {}): Promise<JobLogsResponse> {
    await this.#answer(options.signal);
    if (!this.#jobs.has(jobId)) throw new JobStatusError('http', 'Job not found', 404, 'not_found');
    const lines = (this.#logs.get(jobId) ?? []).filter((line) => line.seq > after).slice(0, options.limit ?? 500);
    return { lines, next_after: lines.at(-1)?.seq ?? after };
  }

  async cancel(jobId: string, options: RequestOptions = {}): Promise<JobSnapshot> {
    await this.#answer(options.signal);
    const job = this.#jobs.get(jobId);
    if (!job) throw new JobStatusError('http', 'Job not found', 404, 'not_found');
    if (isTerminalState(job.state)) throw new JobStatusError('http', 'The job has already finished', 409, 'conflict');
    clearTimeout(this.#scripts.get(jobId));
    this.#scripts.delete(jobId);
    this.#append(jobId, ['warn', `Canceled by ${this.#options.actor ?? 'ada@example.com'}`]);
    const canceled = this.#advance(job, { after: 0, set: { state: 'canceled', message: `Canceled by ${this.#options.actor ?? 'ada@example.com'}.` } });
    this.#update(canceled);
    return canceled;
  }

  peek(jobId: string): JobSnapshot | undefined {
    return this.#jobs.get(jobId);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#scripts.clear();
    this.#watches.clear();
    this.#feeds.clear();
    this.#tails.clear();
    this.#connection.set('offline');
  }

  #subscribe(watch: Watch): () => void {
    if (this.#closed) return () => {};
    this.#watches.add(watch);
    if (!this.#options.silent) {
      this.#later(() => {
        if (!this.#watches.has(watch)) return;
        if (this.#options.refuseWatch) {
          this.#watches.delete(watch);
          watch.listener({ type: 'error', error: this.#options.refuseWatch });
          return;
        }
        const job = watch.jobId ? this.#jobs.get(watch.jobId) : this.#newest(watch.scope!);
        if (job) this.#deliver(watch, job);
        else if (watch.jobId) {
          this.#watches.delete(watch);
          watch.listener({ type: 'gone', jobId: watch.jobId });
        } else watch.listener({ type: 'empty' });
      }, this.#options.latency ?? 30);
    }
    return () => this.#watches.delete(watch);
  }

  #deliver(watch: Watch, job: JobSnapshot) {
    watch.shown = job.job_id;
    watch.listener({ type: 'snapshot', snapshot: job });
    if (watch.jobId && isTerminalState(job.state)) this.#watches.delete(watch);
  }

  #newest({ kind, target }: { kind: string; target: string | null }): JobSnapshot | undefined {
    return this.jobs.find((job) => job.kind === kind && job.target === target);
  }

  /** Stores a job's new snapshot and tells whoever watches it, or its scope. */
  #update(job: JobSnapshot) {
    this.#jobs.set(job.job_id, job);
    for (const { filter: f, listener } of this.#feeds) {
      if ((!f.kind || f.kind === job.kind) && (!f.target || f.target === job.target) && (!f.state || f.state === job.state)) listener([job]);
    }
    for (const watch of [...this.#watches]) {
      if (watch.jobId === job.job_id) this.#deliver(watch, job);
      else if (watch.scope && this.#newest(watch.scope)?.job_id === job.job_id) this.#deliver(watch, job);
    }
  }

  #advance(job: JobSnapshot, step: ScriptStep): JobSnapshot {
    const now = new Date().toISOString();
    const next: JobSnapshot = { ...job, ...step.set, seq: ++this.#seq, updated_at: now, has_logs: this.#logs.has(job.job_id) };
    if (next.state === 'running') next.started_at ??= now;
    if (isTerminalState(next.state)) next.finished_at ??= now;
    return next;
  }

  #append(jobId: string, [level, message]: ScriptLine, at = Date.now()) {
    const lines = this.#logs.get(jobId) ?? [];
    lines.push({ seq: (lines.at(-1)?.seq ?? 0) + 1, ts: new Date(at).toISOString(), level, message });
    this.#logs.set(jobId, lines);
    for (const tail of this.#tails) if (tail.jobId === jobId) tail.listener([lines.at(-1)!]);
  }

  /** Runs `callback` after `ms`, unless the client is closed first (then never). */
  #later(callback: () => void, ms: number): ReturnType<typeof setTimeout> | undefined {
    if (this.#closed) return undefined;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  /** Waits as a server would, and rejects like the real client when aborted. */
  #answer(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const abort = () => reject(new JobStatusError('aborted', 'The request was aborted.'));
      if (signal?.aborted) return abort();
      this.#later(() => (signal?.aborted ? abort() : resolve()), this.#options.latency ?? 30);
    });
  }
}
