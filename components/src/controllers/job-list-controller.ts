import type { JobSnapshot, JobState, ListSort } from '@job-status/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { JobStatusError } from '../client/job-status-error.js';
import type { JobStatusClient, JobStatusClock } from '../client/types.js';
import { placeJob } from '../internal/page-placement.js';
import { PollInterval } from '../internal/poll-interval.js';
import { SequentialPoller } from '../internal/sequential-poller.js';

/** The filters and order of a {@link JobListController}. */
export interface JobListFilters {
  state?: JobState | null;
  kind?: string | null;
  target?: string | null;
  sort?: ListSort | null;
  /** Page size; the server caps it. */
  limit?: number | null;
}

/** Options of {@link JobListController}. */
export interface JobListControllerOptions {
  /**
   * Whether the admin is reading: while true, a refresh does not add, remove or reorder
   * rows (new jobs are only counted in `newCount`); row contents still update.
   */
  holding?: () => boolean;
  /** Timers and time for the fallback polling. Default: the global timers. Inject one in tests. */
  clock?: JobStatusClock;
  /** What the page set the interval with, as a warning about a bad value names it. Default `refresh interval`. */
  intervalName?: string;
}

/** The list's polling interval when the page sets none, in ms. */
export const LIST_INTERVAL = 5000;

const newest = (jobs: JobSnapshot[]) => jobs.reduce((max, job) => (job.created_at > max ? job.created_at : max), '');

/**
 * One page of job history, kept live. While the client's stream is live, the page is
 * fetched once and then kept up to date by the stream alone (`watchJobs`): rows change
 * in place, new jobs come in at their place in the order, rows that leave the state
 * filter go, and nothing is polled. While it is not (and the page is visible),
 * the page is fetched again every `interval` ms by the dashboard rules (2–60 s, default
 * 5 s; after 3 failures in a row 10 s, doubling up to 2 min, back on the first success),
 * one request at a time; when the stream comes back, the page is fetched once to catch up.
 * Filters, sort and page survive refreshes; pagination follows the server's cursors, so
 * a page does not shift when new jobs arrive.
 *
 * Rows are stable while the admin reads: when `paused`, nothing on screen changes; while
 * `holding()` says the admin is scrolled, a refresh only updates rows in place. New jobs
 * are counted in `newCount` until {@link JobListController.showLatest} is called.
 *
 * @example
 * #list = new JobListController(this, { holding: () => this.scrollTop > 0 });
 * willUpdate() { this.#list.follow(this.client, { kind: this.kind }, 5000); }
 * render() { return repeat(this.#list.rows, (job) => job.job_id, row); }
 */
export class JobListController implements ReactiveController {
  /** The rows shown, in order. */
  get rows(): JobSnapshot[] {
    const data = this.#frozen ?? this.#data;
    return (this.#ids ?? []).flatMap((id) => data.get(id) ?? []);
  }
  /** True until the first page has arrived. */
  get loading(): boolean {
    return this.#ids === null;
  }
  /** True while a page is being fetched. */
  refreshing = false;
  /** The last fetch failure, cleared by the next success. */
  error: JobStatusError | null = null;
  /** `clock.now()` when a page last arrived; null before the first. */
  loadedAt: number | null = null;
  /** Milliseconds until the next fallback poll is due, by the polling rules (whether or not one is planned). */
  get pollDelay(): number {
    return this.#poller.delay;
  }
  /** Page number, from 0. */
  get page(): number {
    return this.#page;
  }
  get hasNext(): boolean {
    return this.#nextCursor !== null;
  }
  get hasPrevious(): boolean {
    return this.#page > 0;
  }
  /** Jobs newer than every row shown that the last refresh found but did not add. */
  get newCount(): number {
    const shown = new Set(this.#ids);
    const since = newest(this.rows);
    return this.#latest.filter((id) => !shown.has(id) && (this.#data.get(id)?.created_at ?? '') > since).length;
  }
  /** True when the fetched page differs from the rows shown (membership or order). */
  get stale(): boolean {
    return this.#latest.join() !== (this.#ids ?? []).join();
  }

  /** While true, the rows shown do not change at all; refreshes go on, to count new jobs. */
  get paused(): boolean {
    return this.#frozen !== null;
  }
  set paused(paused: boolean) {
    if (paused === this.paused) return;
    this.#frozen = paused ? new Map(this.#data) : null;
    if (!paused) this.showLatest();
    this.#host.requestUpdate();
  }

  readonly #host: ReactiveControllerHost;
  readonly #holding: () => boolean;
  readonly #clock: JobStatusClock | undefined;
  readonly #interval: PollInterval;
  readonly #poller: SequentialPoller;
  #client: JobStatusClient | undefined;
  #filters = '';
  #query: JobListFilters = {};
  #navigated = false;
  #live = false;
  /**
   * The page shown may miss what happened while the stream was not live (it was fetched
   * before the stream opened, or the stream was lost since): fetch once when it is live.
   */
  #behind = false;
  /** What the stream brought while a page was on its way: newer than that page. */
  #heard: Map<string, JobSnapshot> | null = null;
  #ids: string[] | null = null;
  #latest: string[] = [];
  #data = new Map<string, JobSnapshot>();
  #frozen: Map<string, JobSnapshot> | null = null;
  #cursors: (string | null)[] = [null];
  #page = 0;
  #nextCursor: string | null = null;
  /** Ends the stream feed of the current client and filters. */
  #unfeed: (() => void) | undefined;
  #connected = false;

  constructor(host: ReactiveControllerHost, options: JobListControllerOptions = {}) {
    (this.#host = host).addController(this);
    this.#holding = options.holding ?? (() => false);
    this.#clock = options.clock;
    this.#interval = new PollInterval(options.intervalName ?? 'refresh interval', LIST_INTERVAL);
    this.#poller = new SequentialPoller((signal) => this.#fetch(signal), {
      interval: LIST_INTERVAL,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /**
   * Shows the page of `filters` from `client`, polled every `interval` ms while the
   * stream is not live (missing: 5000; invalid or out of 2000–60000: the default or the
   * nearest bound, with a warning). New filters or a new client start again from the
   * first page; the same ones do nothing.
   */
  follow(client: JobStatusClient | undefined, filters: JobListFilters, interval?: unknown): void {
    const key = JSON.stringify(filters);
    this.#poller.interval = this.#interval.read(interval);
    const newClient = client !== this.#client;
    if (newClient) {
      this.#listen(false);
      this.#client = client;
      this.#listen(this.#connected);
    }
    if (newClient || key !== this.#filters) {
      this.#filters = key;
      this.#query = filters;
      this.#cursors = [null];
      this.#page = 0;
      this.#feed();
      if (this.#connected) void this.#load(true);
    }
  }

  /** Fetches the current page now; resolves when it is shown (or held back). */
  refresh(): Promise<void> {
    return this.#load(false);
  }

  /** Goes to the next page, if there is one. */
  next(): Promise<void> {
    if (this.#nextCursor === null) return Promise.resolve();
    this.#cursors[++this.#page] = this.#nextCursor;
    return this.#load(true);
  }

  /** Goes to the previous page, if there is one. */
  previous(): Promise<void> {
    if (!this.#page) return Promise.resolve();
    this.#page--;
    return this.#load(true);
  }

  /** Shows the rows as last fetched: new jobs at the top, finished ones gone. */
  showLatest(): void {
    if (this.#frozen) this.#frozen = new Map(this.#data);
    this.#ids = this.#latest;
    this.#sync();
    this.#host.requestUpdate();
  }

  hostConnected(): void {
    this.#connected = true;
    document.addEventListener('visibilitychange', this.#onConnection);
    this.#listen(true);
    this.#feed();
    void this.#load(this.#ids === null);
  }

  hostDisconnected(): void {
    this.#connected = false;
    document.removeEventListener('visibilitychange', this.#onConnection);
    this.#listen(false);
    this.#poller.periodic = false;
    this.#poller.stop();
    this.#feed();
    this.refreshing = false;
  }

  /**
   * Hears every job of the list's kind and target that the stream carries, while
   * connected. The state filter is applied here, not on the stream: a row must hear the
   * change that takes it out of the filter.
   */
  #feed() {
    this.#unfeed?.();
    this.#unfeed = undefined;
    const client = this.#client;
    if (!client || !this.#connected) return;
    const { kind, target } = this.#query;
    this.#unfeed = client.watchJobs({ ...(kind ? { kind } : {}), ...(target ? { target } : {}) }, this.#onJobs);
  }

  readonly #onJobs = (jobs: JobSnapshot[]) => {
    for (const job of jobs) {
      this.#heard?.set(job.job_id, job);
      this.#place(job);
    }
    if (this.#ids !== null && !this.paused && !this.#holding()) this.#ids = this.#latest;
    this.#sync();
    this.#host.requestUpdate();
  };

  /** Puts a job the stream brought where it belongs on the page (or off it); `paged`: a page has arrived. */
  #place(job: JobSnapshot, paged = this.#ids !== null) {
    const known = this.#data.get(job.job_id);
    if (known && known.seq > job.seq) return;
    // Before the first page arrives, only remember it: the page says where rows go.
    if (!paged) {
      this.#data.set(job.job_id, job);
      return;
    }
    const rows = this.#latest.flatMap((id) => this.#data.get(id) ?? []);
    const page = { state: this.#query.state, sort: this.#query.sort, first: this.#page === 0, last: this.#nextCursor === null };
    this.#latest = placeJob(rows, job, page).map((row) => row.job_id);
    if (known || this.#latest.includes(job.job_id)) this.#data.set(job.job_id, job);
  }

  #listen(on: boolean) {
    this.#client?.connection[on ? 'addEventListener' : 'removeEventListener']('change', this.#onConnection);
    if (on) this.#onConnection();
  }

  /**
   * Polls only while the stream is not live and the page is visible; fetches once when
   * the stream is live again, for what it may have missed meanwhile.
   */
  readonly #onConnection = () => {
    const live = this.#client?.connection.state === 'live';
    const regained = live && !this.#live;
    if (this.#live && !live) this.#behind = true;
    this.#live = live;
    if (regained && this.#behind) void this.#load(false);
    this.#poller.periodic = this.#connected && !!this.#client && !live && !document.hidden;
  };

  /** Fetches the current page. `navigated`: the admin asked for it, so it is shown as is. */
  #load(navigated: boolean): Promise<void> {
    if (!this.#client || !this.#connected) return Promise.resolve();
    this.#navigated ||= navigated;
    return this.#poller.run({ restart: navigated });
  }

  /** One fetch of the page, run by the poller: rejects when it failed, so the poller backs off. */
  async #fetch(signal: AbortSignal): Promise<void> {
    const client = this.#client!;
    const navigated = this.#navigated;
    const live = this.#live;
    this.#navigated = false;
    this.refreshing = true;
    this.#host.requestUpdate();
    const { state, kind, target, sort, limit } = this.#query;
    const heard = (this.#heard = new Map());
    try {
      const answer = await client.list(
        {
          ...(state ? { state } : {}),
          ...(kind ? { kind } : {}),
          ...(target ? { target } : {}),
          ...(sort ? { sort } : {}),
          ...(limit ? { limit } : {}),
          ...(this.#cursors[this.#page] ? { cursor: this.#cursors[this.#page]! } : {}),
        },
        { signal },
      );
      if (signal.aborted) return;
      for (const job of answer.jobs) this.#take(job);
      this.#latest = answer.jobs.map((job) => job.job_id);
      this.#nextCursor = answer.next_cursor;
      // The page was read before what the stream brought meanwhile: a job created while it
      // was on its way is not on it, and must not be dropped by it.
      for (const job of heard.values()) this.#place(job, true);
      this.error = null;
      this.loadedAt = (this.#clock ?? Date).now();
      this.#behind = !live;
      // The stream came up while this page was on its way: once more, to catch up.
      if (this.#behind && this.#live) void this.#load(false);
      if (navigated || this.#ids === null) {
        this.#frozen &&= new Map(this.#data);
        this.#ids = this.#latest;
      } else if (!this.paused && !this.#holding()) {
        this.#ids = this.#latest;
      }
    } catch (error) {
      if (signal.aborted) return;
      this.error = error as JobStatusError;
      throw error;
    } finally {
      if (this.#heard === heard) this.#heard = null;
      if (!signal.aborted) {
        this.refreshing = false;
        this.#sync();
        this.#host.requestUpdate();
      }
    }
  }

  /** Keeps the newest snapshot of each job. */
  #take(job: JobSnapshot) {
    const known = this.#data.get(job.job_id);
    if (!known || known.seq <= job.seq) this.#data.set(job.job_id, job);
  }

  /** Forgets every job neither on screen nor on the page last fetched. */
  #sync() {
    if (this.#ids === null) return;
    const wanted = new Set([...this.#ids, ...this.#latest]);
    for (const id of this.#data.keys()) if (!wanted.has(id)) this.#data.delete(id);
  }
}
