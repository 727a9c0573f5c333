import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { html, nothing } from 'lit';
import type { PropertyDeclarations, PropertyValues, TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { JobStatusError } from '../../client/job-status-error.js';
import { ClockController } from '../../controllers/clock-controller.js';
import { JobController } from '../../controllers/job-controller.js';
import type { TileState } from '../../controllers/job-controller.js';
import { LogTailController } from '../../controllers/log-tail-controller.js';
import { ClientElement } from '../../internal/client-element.js';
import { durationOf, durationTime, exactTime, timeLeftText } from '../../internal/job-times.js';
import { progressBar } from '../../internal/progress-bar.js';
import { staleNotice } from '../../internal/stale-notice.js';
import { stateBadge } from '../../internal/state-badge.js';
import { Transitions } from '../../internal/transitions.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { tokenStyles } from '../../styles/tokens.styles.js';
import { jobDetailStrings } from './job-detail.strings.js';
import type { JobDetailStrings } from './job-detail.strings.js';
import { jobDetailStyles } from './job-detail.styles.js';

/**
 * Everything about one job: state, phase, progress, message, error with its code and
 * hint, kind, target, who started it, the times and a duration that ticks while it runs,
 * its result, and a live tail of its log that only ever appends. A "Cancel job" button
 * shows while it is queued or running; it asks before it cancels. Times are exact (what
 * an admin reports from), with the relative time beside them. A job that was deleted or
 * expired shows "Job no longer exists".
 *
 * @tagname job-detail
 * @summary One job in full, with a live log tail and a cancel button.
 *
 * @attr state - Reflected, read-only: the state shown, as on `<job-status>`.
 * @attr stale - Reflected, read-only: present while updates cannot be had. The view then
 *   says "Reconnecting…" with the time of the last update (and announces it once), and a
 *   running job's duration stops at that time.
 *
 * @fires {JobStatusChangeEvent} job-status-change - The state shown changed (not on first load).
 * @fires {JobStatusSettledEvent} job-status-settled - The job reached a terminal state while shown.
 *
 * @csspart base - Everything.
 * @csspart label - The heading with the job's label.
 * @csspart badge - The state badge.
 * @csspart cancel - The "Cancel job" button.
 * @csspart cancel-confirm - The question it asks, with "Yes, cancel" and "Keep running".
 * @csspart time-left - "about 40 s left", on a running job when there is enough to go on.
 * @csspart phase - The current step.
 * @csspart progress - The bar and its text.
 * @csspart bar - The progress bar.
 * @csspart message - The job's message.
 * @csspart error - The error and its hint.
 * @csspart hint - What to do next (also "Job no longer exists" guidance).
 * @csspart fields - Kind, target, actor, id, times and duration.
 * @csspart times - Alias of `fields`, for styling like the tile's.
 * @csspart result - The result, as JSON.
 * @csspart log - The log lines (a scrollable list).
 * @csspart log-line - One line; it carries `data-level`.
 * @csspart stale - "Reconnecting… Last update 2 minutes ago", while updates are stale.
 *
 * @cssproperty --job-status-log-max-height - Height after which the log scrolls. Default 20rem.
 * @cssproperty --job-status-surface - And every other `--job-status-*` token of `<job-status>`.
 *
 * @example
 * <job-detail base-url="/api/admin/jobs" job-id="3f1c…"></job-detail>
 */
export class JobDetailElement extends ClientElement {
  static override styles = [tokenStyles, sharedStyles, jobDetailStyles];
  static override properties: PropertyDeclarations = {
    jobId: { attribute: 'job-id' },
    headingLevel: { type: Number, attribute: 'heading-level' },
    strings: { attribute: false },
  };

  /** The job to show. */
  jobId: string | null = null;

  /** Level of the heading that carries the job's label (1–6). Default 2. */
  headingLevel = 2;

  /** Texts to use instead of the defaults; any subset of {@link JobDetailStrings}. */
  strings: Partial<JobDetailStrings> = {};

  /** The state shown; null until the first answer. Reflected to the `state` attribute. */
  get state(): TileState | null {
    return this.#job.state;
  }

  /** The job shown, or null. */
  get snapshot(): JobSnapshot | null {
    return this.#job.snapshot;
  }

  /** The log lines received so far, oldest first. */
  get logLines(): readonly JobLogLine[] {
    return this.#tail.lines;
  }

  readonly #job = new JobController(this);
  readonly #tail = new LogTailController(this);
  readonly #clock = new ClockController(this);
  readonly #transitions = new Transitions();
  #events: Event[] = [];
  #announcement = '';
  #seq = -1;
  #canceling = false;
  /** The admin pressed "Cancel job" and is asked to confirm. */
  #confirming = false;
  #cancelError: JobStatusError | null = null;
  #stickToBottom = true;
  #wasStale = false;

  /** Asks the server to cancel the job. Resolves once it answered; failures show beside the button. */
  async cancel(): Promise<void> {
    const client = this.activeClient;
    const id = this.#job.snapshot?.job_id;
    if (!client || !id || this.#canceling) return;
    this.#canceling = true;
    this.#cancelError = null;
    this.requestUpdate();
    try {
      await client.cancel(id);
    } catch (error) {
      this.#cancelError = error instanceof JobStatusError ? error : new JobStatusError('network', String(error));
    }
    this.#canceling = false;
    this.requestUpdate();
  }

  get #strings(): JobDetailStrings {
    return { ...jobDetailStrings, ...this.strings };
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const client = this.activeClient;
    if (changed.has('jobId')) this.#cancelError = null;
    this.#job.follow(client, { jobId: this.jobId });
    this.#tail.follow(client, this.jobId);
    const { state, snapshot, busy } = this.#job;
    const stale = this.stale;
    this.#clock.interval = state === 'running' && !stale ? 1000 : state || stale ? 30_000 : 0;
    this.#tail.busy = busy;
    // Every change of the job may come with new lines; the last one surely does.
    if (snapshot && snapshot.seq !== this.#seq) {
      this.#seq = snapshot.seq;
      if (snapshot.has_logs) this.#tail.poke();
    }
    const events = this.#transitions.next(state, snapshot);
    if (events?.length) {
      const s = this.#strings;
      const detail = snapshot?.error?.message ?? snapshot?.message ?? (state === 'gone' ? s.goneMessage : null);
      this.#announcement = s.announce(snapshot?.label ?? '', s[state!], detail);
      this.#events.push(...events);
    }
    if (stale && !this.#wasStale) this.#announcement = this.#strings.reconnecting;
    this.#wasStale = stale;
    const log = this.renderRoot?.querySelector?.('.log');
    this.#stickToBottom = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const state = this.#job.state;
    if (state) this.setAttribute('state', state);
    else this.removeAttribute('state');
    const log = this.renderRoot.querySelector('.log');
    if (log && this.#stickToBottom) log.scrollTop = log.scrollHeight;
    const events = this.#events;
    this.#events = [];
    for (const event of events) this.dispatchEvent(event);
  }

  protected override render(): TemplateResult {
    const s = this.#strings;
    const { state, snapshot, error } = this.#job;
    return html`<article part="base" class="base" aria-labelledby="title">
      ${state === null
        ? html`<p id="title" class="muted">${s.loading}</p>`
        : snapshot
          ? this.#body(state, snapshot, s)
          : html`<header>
                <div id="title" part="label" class="title" role="heading" aria-level=${this.headingLevel}>
                  ${state === 'gone' ? s.goneMessage : s[state]}
                </div>
                ${stateBadge(state, s[state])}
              </header>
              <p part="hint" class="muted">${state === 'gone' ? s.goneHint : error ? `${error.message}. ${s.unavailableHint(error)}` : nothing}</p>`}
      ${snapshot ? nothing : this.#staleNotice(s)}
      <div role="status" class="vh">${this.#announcement}</div>
    </article>`;
  }

  /** "Cancel job", and once pressed, the question: stopping a sync halfway is not undone by a click. */
  #cancelControls(s: JobDetailStrings) {
    if (!this.#confirming || this.#canceling) {
      return html`<button part="cancel" type="button" aria-disabled=${this.#canceling ? 'true' : 'false'} @click=${this.#askCancel}>
        ${this.#canceling ? s.canceling : s.cancel}
      </button>`;
    }
    return html`<div part="cancel-confirm" class="confirm" role="group" aria-labelledby="confirm-question">
      <span id="confirm-question">${s.confirmCancel}</span>
      <button class="yes" type="button" @click=${this.#confirmCancel}>${s.confirmCancelYes}</button>
      <button class="keep" type="button" @click=${this.#keepRunning}>${s.confirmCancelNo}</button>
    </div>`;
  }

  #askCancel = async () => {
    if (this.#canceling) return;
    this.#confirming = true;
    this.requestUpdate();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('.confirm .keep')?.focus();
  };

  #confirmCancel = async () => {
    this.#confirming = false;
    await this.cancel();
  };

  #keepRunning = async () => {
    this.#confirming = false;
    this.requestUpdate();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('[part=cancel]')?.focus();
  };

  #staleNotice(s: JobDetailStrings) {
    return this.stale ? staleNotice(this.connection.lastUpdateAt, this.#clock.now, s) : nothing;
  }

  #body(state: TileState, job: JobSnapshot, s: JobDetailStrings) {
    const now = this.#clock.now;
    // While updates are stale, a running job's duration stops at the last update.
    const durationAt = this.stale ? Math.min(now, this.connection.lastUpdateAt ?? now) : now;
    const field = (term: string, value: unknown) =>
      html`<dt>${term}</dt><dd>${value ?? html`<span aria-hidden="true">${s.none}</span>`}</dd>`;
    const time = (iso: string | null) => (iso ? exactTime(iso, now, s) : null);
    const lines = this.#tail.lines;
    return html`<header>
        <div id="title" part="label" class="title" role="heading" aria-level=${this.headingLevel}>${job.label}</div>
        ${stateBadge(state, s[state])}
        ${this.#job.busy ? this.#cancelControls(s) : nothing}
      </header>
      ${this.#cancelError ? html`<p class="error">${s.cancelFailed(this.#cancelError)}</p>` : nothing}
      ${this.#staleNotice(s)}
      ${job.phase && state === 'running' ? html`<p part="phase" class="phase">${job.phase}</p>` : nothing}
      ${progressBar(job, s)} ${this.stale ? nothing : timeLeftText(job, now, s)}
      ${job.message && job.message !== job.error?.message ? html`<p part="message">${job.message}</p>` : nothing}
      ${job.error
        ? html`<div part="error" class="error">
            <p>${job.error.message}</p>
            ${job.error.hint ? html`<p part="hint"><b>${s.nextStep}</b> ${job.error.hint}</p>` : nothing}
          </div>`
        : nothing}
      <dl part="fields times">
        ${field(s.kind, job.kind)} ${field(s.target, job.target)} ${field(s.actor, job.actor)}
        ${field(s.jobId, job.job_id)} ${job.error ? field(s.errorCode, job.error.code) : nothing}
        ${field(s.queuedAt, time(job.created_at))} ${field(s.startedAt, time(job.started_at))}
        ${field(s.finishedAt, time(job.finished_at))}
        ${field(s.duration, durationOf(job, durationAt) === null ? null : durationTime(durationOf(job, durationAt), s))}
      </dl>
      ${job.result === undefined
        ? nothing
        : html`<details><summary>${s.result}</summary><pre part="result">${JSON.stringify(job.result, null, 2)}</pre></details>`}
      <h3 id="log">${s.log}</h3>
      ${this.#tail.error ? html`<p class="muted">${s.logFailed}</p>` : nothing}
      ${lines.length
        ? html`<ol part="log" class="log" tabindex="0" aria-labelledby="log">
            ${repeat(
              lines,
              (line) => line.seq,
              (line) => html`<li part="log-line" data-level=${line.level} data-seq=${line.seq}>
                <time datetime=${line.ts}>${new Date(line.ts).toLocaleTimeString()}</time>
                <span class="level">${line.level}</span>
                <span>${line.message}</span>
              </li>`,
            )}
          </ol>`
        : html`<p class="muted">${s.noLogs}</p>`}`;
  }
}
