import type { JobSnapshot } from '@job-status/protocol';
import { html, nothing } from 'lit';
import type { PropertyDeclarations, PropertyValues, TemplateResult } from 'lit';
import { ClockController } from '../../controllers/clock-controller.js';
import { JobController } from '../../controllers/job-controller.js';
import type { TileState } from '../../controllers/job-controller.js';
import { ClientElement } from '../../internal/client-element.js';
import { jobTimes, timeLeftText } from '../../internal/job-times.js';
import { progressBar } from '../../internal/progress-bar.js';
import { staleNotice } from '../../internal/stale-notice.js';
import { stateBadge } from '../../internal/state-badge.js';
import { jobStatusStrings } from '../../internal/strings.js';
import type { JobStatusStrings } from '../../internal/strings.js';
import { Transitions } from '../../internal/transitions.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { tokenStyles } from '../../styles/tokens.styles.js';
import { jobStatusStyles } from './job-status.styles.js';

/**
 * The status tile of one job, or of the newest job of a kind and target: a state badge
 * with words and a shape, the phase, a progress bar, the message, the error with what to
 * do next, the queued/started/finished times and the duration. It updates live.
 *
 * @tagname job-status
 * @summary Live status of one job: badge, progress, message, error and times.
 *
 * @attr state - Reflected, read-only: `idle`, `queued`, `running`, `success`, `warning`,
 *   `failed`, `canceled`, `gone` or `unavailable`; absent until the first answer.
 * @attr stale - Reflected, read-only: present while updates cannot be had (the stream is
 *   down and polls fail, or the server is unreachable). The tile then says "Reconnecting…"
 *   with the time of the last update, and a running job's duration stops at that time.
 *
 * @fires {JobStatusChangeEvent} job-status-change - The state shown changed (not on first load).
 * @fires {JobStatusSettledEvent} job-status-settled - The job reached a terminal state while shown.
 *
 * @csspart base - The tile.
 * @csspart badge - The state badge (shape and word).
 * @csspart label - The job's label.
 * @csspart phase - The current step.
 * @csspart progress - The bar and its text.
 * @csspart bar - The progress bar track (`role="progressbar"`).
 * @csspart bar-fill - The filled part of the bar (an SVG rect: style it with `fill`).
 * @csspart progress-text - "25 of 100 files · 25%".
 * @csspart time-left - "about 40 s left", on a running job when there is enough to go on.
 * @csspart message - The job's message.
 * @csspart error - The error message and hint.
 * @csspart hint - What to do next.
 * @csspart times - The queued, started and finished times and the duration.
 * @csspart details-link - The "View details" link.
 * @csspart stale - "Reconnecting… Last update 2 minutes ago", while updates are stale.
 *
 * @cssproperty --job-status-font-family - Font. Default: inherited from the page.
 * @cssproperty --job-status-font-size - Base size. Default 0.875rem.
 * @cssproperty --job-status-radius - Corner radius. Default 0.375rem.
 * @cssproperty --job-status-space - Spacing unit. Default 0.5rem.
 * @cssproperty --job-status-surface - Background.
 * @cssproperty --job-status-text - Text colour.
 * @cssproperty --job-status-muted - Secondary text colour.
 * @cssproperty --job-status-border - Border colour.
 * @cssproperty --job-status-track - Progress bar track.
 * @cssproperty --job-status-link - Link colour.
 * @cssproperty --job-status-focus - Focus ring colour.
 * @cssproperty --job-status-idle-color - Badge text and accent for `idle` (likewise `-bg` for its background).
 * @cssproperty --job-status-queued-color - For `queued` (and `--job-status-queued-bg`).
 * @cssproperty --job-status-running-color - For `running` (and `--job-status-running-bg`).
 * @cssproperty --job-status-success-color - For `success` (and `--job-status-success-bg`).
 * @cssproperty --job-status-warning-color - For `warning` (and `--job-status-warning-bg`).
 * @cssproperty --job-status-failed-color - For `failed` (and `--job-status-failed-bg`).
 * @cssproperty --job-status-canceled-color - For `canceled` (and `--job-status-canceled-bg`).
 *
 * @example
 * <job-status base-url="/api/admin/jobs" kind="sync.push" target="peer-a"></job-status>
 */
export class JobStatusElement extends ClientElement {
  static override styles = [tokenStyles, sharedStyles, jobStatusStyles];
  static override properties: PropertyDeclarations = {
    jobId: { attribute: 'job-id' },
    kind: {},
    target: {},
    label: {},
    emptyMessage: { attribute: 'empty-message' },
    detailsHref: { attribute: 'details-href' },
    strings: { attribute: false },
  };

  /** The job to follow. Takes precedence over `kind` and `target`. */
  jobId: string | null = null;

  /** With `target`: follow the newest job of this kind, and switch to each new one. */
  kind: string | null = null;

  /** What the job acts on; absent means jobs of `kind` that have no target. */
  target: string | null = null;

  /** Shown instead of the job's own label. */
  label: string | null = null;

  /** Shown while no job of `kind` and `target` exists. Default: `strings.empty`. */
  emptyMessage: string | null = null;

  /**
   * Where "View details" leads, with `{id}` for the job id, e.g. `/admin/jobs/{id}`.
   * The link shows only when the job has logs.
   */
  detailsHref: string | null = null;

  /** Texts to use instead of the defaults; any subset of {@link JobStatusStrings}. */
  strings: Partial<JobStatusStrings> = {};

  /** The state shown; null until the first answer. Reflected to the `state` attribute. */
  get state(): TileState | null {
    return this.#state;
  }

  /** A tile with nothing to follow yet (no `job-id`, no `kind`) is idle, not loading. */
  get #state(): TileState | null {
    return this.#job.state ?? (this.jobId || this.kind ? null : 'idle');
  }

  /** The job shown, or null when there is none (yet). */
  get snapshot(): JobSnapshot | null {
    return this.#job.snapshot;
  }

  /**
   * One observer for every tile: a tile out of view takes the `offscreen` state, which
   * stops its spinner (a running animation costs a style update on every frame the page
   * draws, so on a page of many running tiles each update would cost every tile), and
   * holds its progress renders for its clock's tick (see `shouldUpdate`).
   */
  static #view?: IntersectionObserver;

  override connectedCallback(): void {
    super.connectedCallback();
    (JobStatusElement.#view ??= new IntersectionObserver((entries) => {
      for (const { target, isIntersecting } of entries) {
        const tile = target as JobStatusElement;
        try {
          tile.#internals.states[isIntersecting ? 'delete' : 'add']('offscreen');
        } catch {
          // A browser without custom states keeps every spinner turning.
        }
        tile.#offscreen = !isIntersecting;
        if (isIntersecting && tile.#deferred) tile.requestUpdate();
      }
    })).observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    JobStatusElement.#view?.unobserve(this);
  }

  readonly #internals = this.attachInternals();
  /** Out of view, by the observer's last word (in view until it has spoken). */
  #offscreen = false;
  /** A change that was not rendered because the tile was out of view. */
  #deferred = false;
  /** What the last render showed: the state, the job and whether it was stale. */
  #shown: [TileState | null, string | undefined, boolean] = [null, undefined, false];
  readonly #job = new JobController(this);
  readonly #clock = new ClockController(this);
  readonly #transitions = new Transitions();
  #events: Event[] = [];
  #announcement = '';

  /**
   * Shows `snapshot` at once, before the server has confirmed it; it stays until the
   * job it names is heard from the server, or a newer job is. `<job-trigger>` uses it to
   * show `queued` on click and a refused enqueue as `failed`.
   */
  present(snapshot: JobSnapshot): void {
    this.#job.present(snapshot);
  }

  /**
   * A running tile out of view renders a change of its progress, phase or message at its
   * clock's next tick (at most a second later) instead of at once: on a page of many tiles
   * an update then costs no frame for a tile nobody sees. A change of state, of job or of
   * staleness renders at once (the live region announces it, the events fire), and so
   * does every change once the tile comes into view.
   */
  protected override shouldUpdate(changed: PropertyValues<this>): boolean {
    const [state, job, stale] = this.#shown;
    // Only while its clock ticks every second: running, and not stale (whose clock is slower).
    this.#deferred =
      this.#offscreen && changed.size === 0 && !this.#clock.ticked && state === 'running' && !stale &&
      this.#state === state && this.#job.snapshot?.job_id === job && !this.stale;
    return !this.#deferred && super.shouldUpdate(changed);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    this.#job.follow(this.activeClient, { jobId: this.jobId, kind: this.kind, target: this.target });
    const { state, snapshot } = this.#job;
    this.#clock.interval = state === 'running' && !this.stale ? 1000 : state || this.stale ? 30_000 : 0;
    const events = this.#transitions.next(state, snapshot);
    if (events?.length) {
      const s = this.#strings;
      const detail =
        snapshot?.error?.message ?? snapshot?.message ?? (state === 'gone' ? s.goneMessage : this.#job.error?.message) ?? null;
      this.#announcement = s.announce(this.#label, s[state!], detail);
      this.#events.push(...events);
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const state = this.#state;
    this.#shown = [state, this.#job.snapshot?.job_id, this.stale];
    if (state) this.setAttribute('state', state);
    else this.removeAttribute('state');
    const events = this.#events;
    this.#events = [];
    for (const event of events) this.dispatchEvent(event);
  }

  get #strings(): JobStatusStrings {
    return { ...jobStatusStrings, ...this.strings };
  }

  /** Where a running job's duration stops: now, or the last update while updates are stale. */
  get #durationAt(): number {
    const now = this.#clock.now;
    return this.stale ? Math.min(now, this.connection.lastUpdateAt ?? now) : now;
  }

  get #label(): string {
    return this.label ?? this.#job.snapshot?.label ?? this.kind ?? '';
  }

  protected override render(): TemplateResult {
    const s = this.#strings;
    const { snapshot, error } = this.#job;
    const state = this.#state;
    return html`<div part="base" class="base">
      ${state === null ? html`<p class="muted">${s.loading}</p>` : this.#body(state, snapshot, s)}
      ${error ? html`<div part="error" class="error"><p>${error.message}</p><p part="hint" class="hint">${s.unavailableHint(error)}</p></div>` : nothing}
      ${this.stale ? staleNotice(this.connection.lastUpdateAt, this.#clock.now, s) : nothing}
      <div role="status" class="vh">${this.#announcement}</div>
    </div>`;
  }

  #body(state: TileState, snapshot: JobSnapshot | null, s: JobStatusStrings) {
    const label = this.#label;
    const head = html`<div class="head">${stateBadge(state, s[state])}${label ? html`<span part="label" class="label">${label}</span>` : nothing}</div>`;
    if (!snapshot) {
      return html`${head}${state === 'idle'
        ? html`<p part="message" class="message muted">${this.emptyMessage ?? s.empty}</p>`
        : state === 'gone'
          ? html`<p part="message" class="message">${s.goneMessage}</p><p part="hint" class="hint muted">${s.goneHint}</p>`
          : nothing}`;
    }
    const { phase, message, error } = snapshot;
    const href = this.detailsHref && snapshot.has_logs && snapshot.job_id
      ? this.detailsHref.replaceAll('{id}', encodeURIComponent(snapshot.job_id))
      : null;
    return html`${head}
      ${phase && state === 'running' ? html`<p part="phase" class="phase">${phase}</p>` : nothing}
      ${progressBar(snapshot, s)}
      ${this.stale ? nothing : timeLeftText(snapshot, this.#clock.now, s)}
      ${message && message !== error?.message ? html`<p part="message" class="message">${message}</p>` : nothing}
      ${error
        ? html`<div part="error" class="error">
            <p>${error.message}</p>
            ${error.hint ? html`<p part="hint" class="hint"><b>${s.nextStep}</b> ${error.hint}</p>` : nothing}
          </div>`
        : nothing}
      ${jobTimes(snapshot, this.#clock.now, s, this.#durationAt)}
      ${href ? html`<a part="details-link" href=${href}>${s.viewDetails}</a>` : nothing}`;
  }
}
