import { JOB_STATES, LIST_SORTS } from '@job-status/protocol';
import type { JobSnapshot, JobState, ListSort } from '@job-status/protocol';
import { html, nothing } from 'lit';
import type { PropertyDeclarations, PropertyValues, TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { ClockController } from '../../controllers/clock-controller.js';
import { JobListController } from '../../controllers/job-list-controller.js';
import { ClientElement } from '../../internal/client-element.js';
import { durationOf, durationTime, exactTime, timeLeftText } from '../../internal/job-times.js';
import { progressBar } from '../../internal/progress-bar.js';
import { staleNotice } from '../../internal/stale-notice.js';
import { stateBadge } from '../../internal/state-badge.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { tokenStyles } from '../../styles/tokens.styles.js';
import { jobListStrings } from './job-list.strings.js';
import type { JobListStrings } from './job-list.strings.js';
import { jobListStyles } from './job-list.styles.js';

type Indicator = 'live' | 'polling' | 'reconnecting' | 'offline' | 'paused';
const INDICATOR_STATE = { live: 'success', polling: 'warning', reconnecting: 'failed', offline: 'failed', paused: 'idle' } as const;
const SORT_LABELS = { created_desc: 'sortCreatedDesc', created_asc: 'sortCreatedAsc', updated_desc: 'sortUpdatedDesc' } as const;

/**
 * The live dashboard of jobs: label, kind, target, state, progress, who started it,
 * when, and how long it took. Filters (state, kind, target), sort and page survive every
 * refresh. Rows are keyed by job, so a refresh moves nothing that did not change, and
 * focus stays where it was.
 *
 * New jobs appear at the top, unless the admin is reading: while the list is paused
 * (the "Pause live updates" toggle, which then reads "Resume live updates", or the
 * `paused` attribute) or scrolled (its top edge above the viewport, or its own scroller
 * scrolled), they are counted on an "N new jobs" button that stays in view while the
 * page scrolls and shows them when pressed. While paused, no row changes at all.
 *
 * Narrower than 40rem (a phone), each row shows as a card with every column named, so
 * nothing hides in a sideways scroller.
 *
 * The list stays live over the client's shared stream: no request is made while it is
 * up. While it is down, the page is fetched again every `refresh-interval` ms (2–60 s,
 * backing off while fetches fail), and once more when the stream is back.
 *
 * @tagname job-list
 * @summary Live, filterable, paginated history of jobs.
 *
 * @csspart base - Everything.
 * @csspart toolbar - Filters, sort, indicators and the pause toggle.
 * @csspart connection - The connection indicator (live, polling, reconnecting, offline, paused).
 * @csspart refreshing - The refreshing indicator, visible while a page is fetched.
 * @csspart pause - The "Pause live updates" toggle.
 * @csspart new-jobs - The "N new jobs" button.
 * @csspart table - The table.
 * @csspart row - Each row; it carries `data-state`.
 * @csspart badge - The state badge in a row.
 * @csspart bar - The progress bar in a row.
 * @csspart time-left - "about 40 s left" under a running row's bar, when there is enough to go on.
 * @csspart row-error - Why a failed (or warned) row ended so, under its progress.
 * @csspart pagination - Previous / page / next.
 * @csspart error - "Could not load the jobs", when a fetch failed.
 * @csspart stale - "Reconnecting… Last update 2 minutes ago", in place of the connection indicator while updates are stale.
 *
 * @attr stale - Reflected, read-only: present while updates cannot be had (the stream is
 *   down and fetches fail, or the server is unreachable). Running jobs' durations then stop
 *   at the time of the last update.
 *
 * @cssproperty --job-status-list-max-height - Height after which the table scrolls inside the list. Default: none.
 * @cssproperty --job-status-surface - And every other `--job-status-*` token of `<job-status>`.
 *
 * @example
 * <job-list base-url="/api/admin/jobs" detail-href="/admin/jobs/{id}" page-size="25"></job-list>
 */
export class JobListElement extends ClientElement {
  static override styles = [tokenStyles, sharedStyles, jobListStyles];
  static override properties: PropertyDeclarations = {
    state: { reflect: true },
    kind: { reflect: true },
    target: { reflect: true },
    sort: { reflect: true },
    pageSize: { type: Number, attribute: 'page-size' },
    refreshInterval: { type: Number, attribute: 'refresh-interval' },
    detailHref: { attribute: 'detail-href' },
    paused: { type: Boolean, reflect: true },
    strings: { attribute: false },
  };

  // Filters and sort are reflected, so a page can keep them in its URL (and a filtered view
  // can be bookmarked) by watching the attributes.

  /** Only jobs in this state. */
  state: JobState | null = null;

  /** Only jobs of this kind. */
  kind: string | null = null;

  /** Only jobs on this target. */
  target: string | null = null;

  /** Order: `created_desc` (default, newest first), `created_asc` or `updated_desc`. */
  sort: ListSort | null = null;

  /** Rows per page. Default 20; the server caps it. */
  pageSize = 20;

  /**
   * Milliseconds between fetches of the page while the stream is down (never while it is
   * live). Default 5000; allowed 2000–60000: a value that is not a number becomes the
   * default, one out of range the nearest bound, with a console warning. After 3 failed
   * fetches in a row: 10 s, doubling up to 2 min, until one succeeds.
   */
  refreshInterval: number | null = null;

  /** Where a row's label links to, with `{id}` for the job id, e.g. `/admin/jobs/{id}`. */
  detailHref: string | null = null;

  /** Live updates paused: no row changes; new jobs are only counted. */
  paused = false;

  /** Texts to use instead of the defaults; any subset of {@link JobListStrings}. */
  strings: Partial<JobListStrings> = {};

  /** The rows shown, in order. */
  get jobs(): JobSnapshot[] {
    return this.#list.rows;
  }

  readonly #list = new JobListController(this, {
    holding: () => this.paused || this.#scrolled(),
    intervalName: '<job-list> refresh-interval',
  });
  readonly #clock = new ClockController(this);
  #announcement = '';
  #announceRows = false;
  #indicator: Indicator | null = null;
  #newCount = 0;
  #focused: Element | null = null;

  /** True while updates cannot be had: the client's are stale, or the list's own fetches fail while the stream is down. */
  override get stale(): boolean {
    return super.stale || (!!this.#list.error && this.connection.state !== 'live');
  }

  /** When the list was last known to be up to date: the client's last update, or the last page its own fetches got. */
  get #lastUpdateAt(): number | null {
    return super.stale ? this.connection.lastUpdateAt : this.#list.loadedAt;
  }

  /** Fetches the current page now; resolves once it is shown (or, while reading, counted). */
  refresh(): Promise<void> {
    return this.#list.refresh();
  }

  /** Shows the jobs held back while paused or scrolled, at the top. */
  showNewJobs(): void {
    this.#list.showLatest();
    this.renderRoot.querySelector('table')?.focus();
  }

  #scrolled() {
    const scroller = this.renderRoot.querySelector('.scroller');
    return !!scroller?.scrollTop || this.getBoundingClientRect().top < 0;
  }

  get #strings(): JobListStrings {
    return { ...jobListStrings, ...this.strings };
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const client = this.activeClient;
    this.#list.paused = this.paused;
    this.#list.follow(
      client,
      { state: this.state, kind: this.kind, target: this.target, sort: this.sort, limit: this.pageSize },
      this.refreshInterval,
    );
    const s = this.#strings;
    const list = this.#list;
    // Durations of running jobs tick every second; relative times need less.
    this.#clock.interval = list.rows.some((job) => job.state === 'running') && !this.stale ? 1000 : 30_000;
    const c = this.connection.state;
    const indicator: Indicator = this.paused
      ? 'paused'
      : list.error || c === 'backoff' || this.stale
        ? 'reconnecting'
        : c === 'polling' || c === 'offline'
          ? c
          : 'live';
    const announce: string[] = [];
    if (this.#indicator && indicator !== this.#indicator) announce.push(s.connection(indicator));
    this.#indicator = indicator;
    const fresh = list.newCount;
    if (fresh > this.#newCount) announce.push(s.newJobs(fresh));
    this.#newCount = fresh;
    if (this.#announceRows && !list.refreshing) {
      announce.push(s.showing(list.rows.length));
      this.#announceRows = false;
    }
    if (announce.length) this.#announcement = announce.join('. ');
    this.#focused = this.shadowRoot?.activeElement ?? null;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    // A row moved by a reorder loses focus in the move: give it back.
    const focused = this.#focused;
    if (focused && this.shadowRoot!.activeElement !== focused) {
      if (focused.isConnected) (focused as HTMLElement).focus({ preventScroll: true });
      else this.renderRoot.querySelector('table')?.focus({ preventScroll: true });
    }
  }

  #filter(name: 'state' | 'kind' | 'target' | 'sort') {
    return (event: Event) => {
      const value = (event.target as HTMLInputElement | HTMLSelectElement).value.trim();
      (this as Record<string, unknown>)[name] = value || null;
      this.#announceRows = true;
    };
  }

  #go(next: boolean) {
    return () => {
      const list = this.#list;
      if (next ? !list.hasNext : !list.hasPrevious) return;
      this.#announceRows = true;
      void (next ? list.next() : list.previous());
    };
  }

  protected override render(): TemplateResult {
    const s = this.#strings;
    const list = this.#list;
    const indicator = this.#indicator ?? 'live';
    const rows = list.rows;
    const fresh = this.#newCount;
    return html`<div part="base" class="base">
      <div part="toolbar" class="toolbar">
        <label
          >${s.filterState}
          <select @change=${this.#filter('state')}>
            <option value="" ?selected=${!this.state}>${s.allStates}</option>
            ${JOB_STATES.map((state) => html`<option value=${state} ?selected=${this.state === state}>${s[state]}</option>`)}
          </select></label
        >
        <label>${s.filterKind} <input type="search" .value=${this.kind ?? ''} @change=${this.#filter('kind')} /></label>
        <label>${s.filterTarget} <input type="search" .value=${this.target ?? ''} @change=${this.#filter('target')} /></label>
        <label
          >${s.sort}
          <select @change=${this.#filter('sort')}>
            ${LIST_SORTS.map(
              (sort) => html`<option value=${sort} ?selected=${(this.sort ?? 'created_desc') === sort}>${s[SORT_LABELS[sort]]}</option>`,
            )}
          </select></label
        >
        <div class="status">
          <svg part="refreshing" class="refreshing ${list.refreshing ? 'on spin' : ''}" viewBox="0 0 16 16" fill="none"
            stroke="currentColor" stroke-width="2" aria-hidden="true"><title>${s.refreshing}</title>
            <path d="M8 2a6 6 0 1 0 6 6"/></svg>
          ${this.stale && !this.paused
            ? staleNotice(this.#lastUpdateAt, this.#clock.now, s)
            : html`<span part="connection" class="connection" data-connection=${indicator} data-state=${INDICATOR_STATE[indicator]}
                ><span class="dot"></span>${s.connection(indicator)}</span
              >`}
          <button part="pause" type="button" @click=${() => (this.paused = !this.paused)}>
            ${this.paused ? s.resume : s.pause}
          </button>
        </div>
      </div>
      ${fresh ? html`<button part="new-jobs" class="new-jobs" type="button" @click=${this.showNewJobs}>${s.newJobs(fresh)}</button>` : nothing}
      ${list.error ? html`<p part="error" class="error">${s.loadFailed} ${s.loadFailedHint}</p>` : nothing}
      <div class="scroller">
        <table part="table" tabindex="-1">
          <caption class="vh">${s.caption}</caption>
          <thead>
            <tr>
              ${[s.colLabel, s.colKind, s.colTarget, s.colState, s.colProgress, s.colActor, s.colStarted, s.colDuration].map(
                (name) => html`<th scope="col">${name}</th>`,
              )}
            </tr>
          </thead>
          <tbody>
            ${repeat(rows, (job) => job.job_id, (job) => this.#row(job, s))}
          </tbody>
        </table>
      </div>
      ${list.loading ? html`<p class="muted">${s.loading}</p>` : rows.length ? nothing : html`<p>${s.noJobs}</p>`}
      <nav part="pagination" aria-label=${s.pagination}>
        <button type="button" aria-disabled=${list.hasPrevious ? 'false' : 'true'} @click=${this.#go(false)}>${s.previousPage}</button>
        <span>${s.pageNumber(list.page + 1)}</span>
        <button type="button" aria-disabled=${list.hasNext ? 'false' : 'true'} @click=${this.#go(true)}>${s.nextPage}</button>
      </nav>
      <div role="status" class="vh">${this.#announcement}</div>
    </div>`;
  }

  #row(job: JobSnapshot, s: JobListStrings) {
    const now = this.#clock.now;
    // While updates are stale, a running job's duration stops at the last update.
    const durationAt = this.stale ? Math.min(now, this.#lastUpdateAt ?? now) : now;
    const href = this.detailHref?.replaceAll('{id}', encodeURIComponent(job.job_id));
    const empty = html`<span aria-hidden="true">${s.none}</span>`;
    // Why a job failed or warned belongs on its row: the admin scans the list for it.
    const why = job.state === 'failed' || job.state === 'warning' ? (job.error?.message ?? job.message) : null;
    // `data-label` names each cell where a narrow list shows rows as cards.
    return html`<tr part="row" data-state=${job.state} data-job-id=${job.job_id}>
      <th scope="row" data-label=${s.colLabel}>${href ? html`<a href=${href}>${job.label}</a>` : job.label}</th>
      <td data-label=${s.colKind}>${job.kind}</td>
      <td data-label=${s.colTarget}>${job.target ?? empty}</td>
      <td data-label=${s.colState}>${stateBadge(job.state, s[job.state])}</td>
      <td data-label=${s.colProgress} class="progress-cell">
        ${progressBar(job, { ...s, progress: `${s.progress}: ${job.label}` })} ${this.stale ? nothing : timeLeftText(job, now, s)}
        ${why ? html`<span part="row-error" class="why">${why}</span>` : nothing}
      </td>
      <td data-label=${s.colActor}>${job.actor ?? empty}</td>
      <td data-label=${s.colStarted}>${job.started_at ? exactTime(job.started_at, now, s, s.formatAbsoluteShort) : empty}</td>
      <td data-label=${s.colDuration}>${durationTime(durationOf(job, durationAt), s)}</td>
    </tr>`;
  }
}
