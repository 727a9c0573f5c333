import { isTerminalState, queuedSnapshot } from '@job-status/protocol';
import type { JobLogLine, JobSnapshot, LogLevel } from '@job-status/protocol';

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

/** What a story's server holds when the story opens, and what it plays. Every field is optional. */
export interface JobHistoryOptions {
  /** The history: jobs that exist when the story opens. */
  jobs?: readonly JobSnapshot[];
  /** Log lines of those jobs, by job id. */
  logs?: Readonly<Record<string, readonly ScriptLine[]>>;
  /** Scripts that play on their own from the start, by job id (a job of `jobs`). */
  playing?: Readonly<Record<string, readonly ScriptStep[]>>;
  /**
   * What `POST /` plays for each kind (steps, or steps by target); a kind without a
   * script stays queued.
   */
  scripts?: Readonly<Record<string, readonly ScriptStep[] | ((target: string | null) => readonly ScriptStep[])>>;
  /**
   * Jobs that other admins start while the story is open: each appears `after` ms after
   * the server's first answer (so the page has loaded), then plays `script`.
   */
  arrivals?: readonly { after: number; job: JobSnapshot; script?: readonly ScriptStep[] }[];
  /** Labels of new jobs, by kind: `(target) => 'Push to ' + target`. Default: the kind. */
  labels?: Readonly<Record<string, (target: string | null) => string>>;
  /** Who starts the jobs that `POST /` creates, and cancels jobs. Default `ada@example.com`. */
  actor?: string;
}

/** What a {@link JobHistory} tells its server: a job's new snapshot (its `seq` is the event's), or new log lines. */
export interface HistoryListener {
  update(snapshot: JobSnapshot): void;
  lines(jobId: string, lines: JobLogLine[]): void;
}

let created = 0;
/** A made-up UUID v4 for a job that `enqueue` creates, different for each one. */
const uuid = () => `5b0e7c1d-0000-4000-8000-${(++created).toString(16).padStart(12, '0')}`;

/**
 * The server side of a story: a history of jobs with their logs and event log, and the
 * scripts that move them (queued → running → an outcome) on timers, as a registry with
 * its handlers would. What the wire says about it is the {@link ScriptedServer}'s part.
 */
export class JobHistory {
  readonly #options: JobHistoryOptions;
  readonly #jobs = new Map<string, JobSnapshot>();
  readonly #logs = new Map<string, JobLogLine[]>();
  /** Every snapshot in the order it was made, by event seq: what a resumed stream replays. */
  readonly events: { seq: number; snapshot: JobSnapshot }[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** The pending step of each playing script, so `cancel` can stop it. */
  readonly #scripts = new Map<string, ReturnType<typeof setTimeout> | undefined>();
  #seq = 1000;
  #closed = false;
  #opened = false;
  listener: HistoryListener | undefined;

  constructor(options: JobHistoryOptions = {}) {
    this.#options = options;
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
    for (const [id, steps] of Object.entries(options.playing ?? {})) this.#play(id, steps);
  }

  /** The page has had its first answer: the arrivals' clocks start (once). */
  opened(): void {
    if (this.#opened) return;
    this.#opened = true;
    for (const { after, job, script } of this.#options.arrivals ?? []) {
      this.#later(() => {
        const now = new Date().toISOString();
        this.#update({ ...job, created_at: now, updated_at: now, started_at: job.started_at && now, seq: ++this.#seq });
        if (script) this.#play(job.job_id, script);
      }, after);
    }
  }

  /** The last event seq: where a stream that opens now stands. */
  get head(): number {
    return this.#seq;
  }

  /** Every job, newest first. */
  get jobs(): JobSnapshot[] {
    return [...this.#jobs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  get(jobId: string): JobSnapshot | undefined {
    return this.#jobs.get(jobId);
  }

  logs(jobId: string): readonly JobLogLine[] {
    return this.#logs.get(jobId) ?? [];
  }

  /** Creates a queued job and plays its kind's script, as `POST /` does. */
  enqueue(kind: string, target: string | null): JobSnapshot {
    const now = new Date().toISOString();
    const job = queuedSnapshot({
      job_id: uuid(),
      kind,
      target,
      label: this.#options.labels?.[kind]?.(target) ?? kind,
      created_at: new Date().toISOString(),
      seq: ++this.#seq,
      actor: this.#actor,
    });
    this.#update(job);
    const script = this.#options.scripts?.[kind];
    if (script) this.#play(job.job_id, typeof script === 'function' ? script(target) : script);
    return job;
  }

  /** Cancels a busy job (stops its script); returns it. The caller checks it exists and is busy. */
  cancel(jobId: string): JobSnapshot {
    clearTimeout(this.#scripts.get(jobId));
    this.#scripts.delete(jobId);
    this.#append(jobId, ['warn', `Canceled by ${this.#actor}`]);
    return this.#update(this.#advance(this.#jobs.get(jobId)!, { after: 0, set: { state: 'canceled', message: `Canceled by ${this.#actor}.` } }));
  }

  /** Stops every script and arrival. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#scripts.clear();
  }

  get #actor() {
    return this.#options.actor ?? 'ada@example.com';
  }

  /** Plays `steps` on the job `jobId`, replacing any script it was playing. */
  #play(jobId: string, steps: readonly ScriptStep[]): void {
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

  /** Stores a job's new snapshot, logs it as an event and tells the server. */
  #update(job: JobSnapshot): JobSnapshot {
    this.#jobs.set(job.job_id, job);
    this.events.push({ seq: job.seq, snapshot: job });
    this.listener?.update(job);
    return job;
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
    const line = { seq: (lines.at(-1)?.seq ?? 0) + 1, ts: new Date(at).toISOString(), level, message };
    lines.push(line);
    this.#logs.set(jobId, lines);
    this.listener?.lines(jobId, [line]);
  }

  /** Runs `callback` after `ms`, unless the history is closed first (then never). */
  #later(callback: () => void, ms: number): ReturnType<typeof setTimeout> | undefined {
    if (this.#closed) return undefined;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }
}
