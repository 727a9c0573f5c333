import { isTerminalState } from '@job-status/protocol';
import type { JobSnapshot, JobState } from '@job-status/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { JobStatusError } from '../client/job-status-error.js';
import type { JobStatusClient, JobUpdate } from '../client/types.js';

/**
 * What a tile shows: a job state, `idle` (no job of the kind and target yet), `gone`
 * (the job was deleted or expired) or `unavailable` (the server refused the client).
 */
export type TileState = JobState | 'idle' | 'gone' | 'unavailable';

/** Which job to follow: one by id, or the newest of a kind and target. */
export interface JobSubject {
  jobId?: string | null;
  kind?: string | null;
  target?: string | null;
}

const time = (iso: string) => Date.parse(iso) || 0;
/** True when `heard` makes `shown` obsolete: the same job, as new or newer, or a newer job. */
const supersedes = (heard: JobSnapshot, shown: JobSnapshot) =>
  heard.job_id === shown.job_id ? heard.seq >= shown.seq : time(heard.created_at) > time(shown.created_at);

/**
 * Follows one job, or the newest job of a kind and target, through a shared client, and
 * re-renders its host on every change. Subscribes on connect and unsubscribes on
 * disconnect; the host calls {@link JobController.follow} with its current properties
 * before each render, and the controller re-subscribes only when they changed.
 *
 * A snapshot can be {@link JobController.present}ed before the client knows it (the
 * `queued` of a click, the refusal of an enqueue); it is shown until the client delivers
 * that job, or a newer one.
 *
 * @example
 * #job = new JobController(this);
 * willUpdate() { this.#job.follow(this.client, { jobId: this.jobId }); }
 * render() { return html`${this.#job.state}`; }
 */
export class JobController implements ReactiveController {
  /** The snapshot shown: presented, or the newest the client delivered; null when none. */
  get snapshot(): JobSnapshot | null {
    return this.#presented ?? this.#heard;
  }
  /** The state shown; null until the first answer. */
  get state(): TileState | null {
    return this.snapshot?.state ?? this.#status;
  }
  /** Why the state is `unavailable`; otherwise null. */
  get error(): JobStatusError | null {
    return this.#presented ? null : this.#error;
  }
  /** True while the shown job is queued or running. */
  get busy(): boolean {
    const state = this.snapshot?.state;
    return !!state && !isTerminalState(state);
  }

  readonly #host: ReactiveControllerHost;
  #client: JobStatusClient | undefined;
  #subject: JobSubject = {};
  #key = '';
  #unsubscribe: (() => void) | undefined;
  #heard: JobSnapshot | null = null;
  #status: TileState | null = null;
  #error: JobStatusError | null = null;
  #presented: JobSnapshot | null = null;

  constructor(host: ReactiveControllerHost) {
    (this.#host = host).addController(this);
  }

  /**
   * Follows `subject` through `client`. Without a client, or with neither a job id nor a
   * kind, nothing is followed. Calling it again with the same values does nothing.
   */
  follow(client: JobStatusClient | undefined, subject: JobSubject): void {
    const { jobId = null, kind = null, target = null } = subject;
    const key = client && (jobId || kind) ? JSON.stringify(jobId ? [jobId] : [kind, target]) : '';
    if (client === this.#client && key === this.#key) return;
    const sameSubject = key === this.#key;
    this.#client = client;
    this.#subject = { jobId, kind, target };
    this.#key = key;
    if (!sameSubject) {
      this.#heard = null;
      this.#status = null;
      this.#error = null;
      const shown = this.#presented;
      // Keep a presented job that the new subject still covers (a trigger that just set
      // `jobId` to the job it presented), drop it otherwise.
      if (shown && !(jobId ? shown.job_id === jobId : shown.kind === kind && shown.target === target)) {
        this.#presented = null;
      }
    }
    if (this.#unsubscribe) this.#subscribe();
    this.#host.requestUpdate();
  }

  /**
   * Shows `snapshot` at once, until the client delivers that job (as new) or a newer job.
   * Ignored when the client already delivered such a snapshot: the stream can be faster
   * than the answer that carried `snapshot`.
   */
  present(snapshot: JobSnapshot): void {
    this.#presented = this.#heard && supersedes(this.#heard, snapshot) ? null : snapshot;
    this.#host.requestUpdate();
  }

  hostConnected(): void {
    this.#subscribe();
  }

  hostDisconnected(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #subscribe() {
    this.#unsubscribe?.();
    const { jobId, kind, target } = this.#subject;
    const client = this.#client;
    this.#unsubscribe =
      !client || !this.#key
        ? () => {}
        : jobId
          ? client.watch(jobId, this.#onUpdate)
          : client.watchScope({ kind: kind!, target }, this.#onUpdate);
  }

  readonly #onUpdate = (update: JobUpdate) => {
    const shown = this.#presented;
    if (update.type === 'snapshot') {
      const s = update.snapshot;
      this.#heard = s;
      this.#error = null;
      if (shown && supersedes(s, shown)) this.#presented = null;
    } else {
      this.#heard = null;
      this.#status = update.type === 'empty' ? 'idle' : update.type === 'gone' ? 'gone' : 'unavailable';
      this.#error = update.type === 'error' ? update.error : null;
      if (shown && update.type === 'gone' && update.jobId === shown.job_id) this.#presented = null;
    }
    this.#host.requestUpdate();
  };
}
