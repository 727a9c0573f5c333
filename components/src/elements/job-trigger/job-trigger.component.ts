import type { JobSnapshot } from '@job-status/protocol';
import { queuedSnapshot } from '@job-status/protocol';
import { html, nothing } from 'lit';
import type { PropertyDeclarations, PropertyValues, TemplateResult } from 'lit';
import { JobStatusError } from '../../client/job-status-error.js';
import { JobController } from '../../controllers/job-controller.js';
import { ClientElement } from '../../internal/client-element.js';
import { tokenStyles } from '../../styles/tokens.styles.js';
import type { JobStatusElement } from '../job-status/job-status.component.js';
import { jobTriggerStrings } from './job-trigger.strings.js';
import type { JobTriggerStrings } from './job-trigger.strings.js';
import { jobTriggerStyles } from './job-trigger.styles.js';

const json = {
  fromAttribute(value: string | null): unknown {
    if (value === null) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      console.warn('job-status: <job-trigger> input is not valid JSON; it is sent as a string');
      return value;
    }
  },
};

/**
 * Turns the button inside it into a job starter. A click shows `queued` at once (before
 * the server answers), sends `POST /` with `kind`, `target` and `input`, and follows the
 * job: the button stays disabled and `aria-busy` while the job is queued or running, and
 * is enabled again when it ends, however long that takes. A refused enqueue (network
 * failure, 4xx) shows as `failed` with the server's message and what to do next.
 *
 * **Where the status shows.** In the `<job-status>` named by `for`; else in a
 * `<job-status>` placed inside the trigger; else in a tile the trigger renders after the
 * button (part `status`). The trigger also follows the newest job of its kind and target
 * from page load, so a job already running keeps the button disabled.
 *
 * **Form mode.** With `use-form`, a submit of the form the trigger belongs to (its
 * submit button inside the trigger, or an implicit submit) is taken over: the browser
 * validates the form as usual, then the form's fields are sent as the job's `input`
 * (strings, as a form sends them; repeated names become arrays; files are left out),
 * on top of `input` when that is an object.
 *
 * @tagname job-trigger
 * @summary A button that starts a job and shows its live status.
 *
 * @slot - The `<button>` (or any element with a `disabled` property), and optionally a `<job-status>`.
 *
 * @attr busy - Reflected, read-only: present while the job is queued or running.
 *
 * @fires {JobStatusChangeEvent} job-status-change - From its own tile: the state changed.
 * @fires {JobStatusSettledEvent} job-status-settled - From its own tile: the job ended (or the enqueue was refused).
 *
 * @csspart status - The trigger's own `<job-status>`, when no tile is paired.
 * @csspart status-base - Its `base` part; likewise `status-badge`, `status-bar`, `status-message`, `status-times`.
 *
 * @cssproperty --job-status-space - Gap between the button and the tile. The trigger's own tile takes every `--job-status-*` token from the trigger.
 *
 * @example
 * <job-trigger base-url="/api/admin/jobs" kind="sync.push" target="peer-a">
 *   <button type="button">Push to peer-a</button>
 * </job-trigger>
 */
export class JobTriggerElement extends ClientElement {
  static override styles = [tokenStyles, jobTriggerStyles];
  static override properties: PropertyDeclarations = {
    kind: {},
    target: {},
    input: { converter: json },
    label: {},
    htmlFor: { attribute: 'for' },
    useForm: { type: Boolean, attribute: 'use-form' },
    detailsHref: { attribute: 'details-href' },
    strings: { attribute: false },
  };
  /**
   * Form-associated, so `use-form` finds its form even through the `form` attribute.
   * @internal
   */
  static formAssociated = true;

  /** The kind of job to start, e.g. `sync.push`. Required. */
  kind: string | null = null;

  /** What the job acts on, e.g. a peer name; absent for kinds without a target. */
  target: string | null = null;

  /**
   * The job's input. The attribute is parsed as JSON (`input='{"full": true}'`); the
   * property takes any JSON-serialisable value.
   */
  input: unknown;

  /** The label shown on the tile before the server names the job. Default: the last job's label, else the button's text. */
  label: string | null = null;

  /** The id of a `<job-status>` (in the same document or shadow root) to show the job in. */
  htmlFor: string | null = null;

  /** Send the fields of the trigger's form as the input; see "Form mode" above. */
  useForm = false;

  /** Passed to the trigger's own tile: where "View details" leads, with `{id}`. */
  detailsHref: string | null = null;

  /** Texts to use instead of the defaults, for the trigger and its own tile; any subset of {@link JobTriggerStrings}. */
  strings: Partial<JobTriggerStrings> = {};

  /** True while the job is being enqueued, queued or running. */
  get busy(): boolean {
    return this.#enqueuing || this.#job.busy;
  }

  /** The job last started or followed, or null. */
  get snapshot(): JobSnapshot | null {
    return this.#job.snapshot;
  }

  readonly #job = new JobController(this);
  readonly #internals = this.attachInternals();
  #enqueuing = false;
  #disabledByUs: Element | null = null;
  #hadFocus = false;
  #form: HTMLFormElement | null = null;

  constructor() {
    super();
    this.addEventListener('click', (event) => {
      const button = this.#button;
      if (this.useForm || !button || !event.composedPath().includes(button)) return;
      // The trigger owns the button's action: no form submission.
      event.preventDefault();
      void this.start();
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#listen(this.#internals.form);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#listen(null);
  }

  /** @internal Custom element reaction: the form owner changed. */
  formAssociatedCallback(form: HTMLFormElement | null): void {
    this.#listen(form);
  }

  /**
   * Starts the job as a click would, with `input` (default: the `input` property). Does
   * nothing while busy. Resolves with the queued snapshot, or the refusal as a `failed`
   * one (its `job_id` empty), or null when it did not start.
   */
  async start(input: unknown = this.input): Promise<JobSnapshot | null> {
    const kind = this.kind;
    if (!kind || this.busy) return null;
    const s = { ...jobTriggerStrings, ...this.strings };
    const target = this.target;
    const tile = this.#tile;
    const pending = queuedSnapshot({
      job_id: '',
      kind,
      target,
      label:
        this.label ?? this.#job.snapshot?.label ?? tile?.snapshot?.label ?? this.#button?.textContent?.trim() ?? kind,
      created_at: new Date().toISOString(),
      seq: -1,
      actor: null,
    });
    const show = (snapshot: JobSnapshot) => {
      this.#job.present(snapshot);
      tile?.present(snapshot);
    };
    this.#enqueuing = true;
    show(pending);
    try {
      const client = this.activeClient;
      if (!client) throw new JobStatusError('network', 'No job server: set base-url, or place the trigger inside <job-status-provider>.');
      const { initial_status } = await client.enqueue(kind, input, { target });
      // A tile that follows this kind and target finds the new job itself; any other is pointed at it.
      if (tile && (tile.jobId || tile.kind !== kind || (tile.target ?? null) !== target)) tile.jobId = initial_status.job_id;
      show(initial_status);
      return initial_status;
    } catch (thrown) {
      const error = thrown instanceof JobStatusError ? thrown : new JobStatusError('network', String(thrown));
      const refused: JobSnapshot = {
        ...pending,
        state: 'failed',
        finished_at: new Date().toISOString(),
        error: { code: error.code ?? s.enqueueFailed, message: error.message, hint: s.enqueueHint(error) },
      };
      show(refused);
      return refused;
    } finally {
      this.#enqueuing = false;
      this.requestUpdate();
    }
  }

  /** The slotted element that starts the job. */
  get #button(): HTMLElement | null {
    const slot = this.renderRoot?.querySelector?.('slot:not([name])') as HTMLSlotElement | null;
    for (const el of slot?.assignedElements({ flatten: true }) ?? []) {
      const found = el.matches('button, [role=button]') ? el : el.querySelector('button');
      if (found) return found as HTMLElement;
    }
    return null;
  }

  /** The tile that shows the job: `for`, else one inside the trigger, else the trigger's own. */
  get #tile(): JobStatusElement | null {
    if (this.htmlFor) {
      return ((this.getRootNode() as Document | ShadowRoot).getElementById(this.htmlFor) as JobStatusElement | null) ?? null;
    }
    return (this.querySelector('job-status') ?? this.renderRoot?.querySelector?.('job-status')) as JobStatusElement | null;
  }

  #listen(form: HTMLFormElement | null) {
    this.#form?.removeEventListener('submit', this.#onSubmit);
    this.#form = this.isConnected ? form : null;
    this.#form?.addEventListener('submit', this.#onSubmit);
  }

  readonly #onSubmit = (event: SubmitEvent) => {
    const form = this.#form;
    if (!this.useForm || !form || (event.submitter && !this.contains(event.submitter))) return;
    event.preventDefault();
    const fields: Record<string, string | string[]> = {};
    for (const [name, value] of new FormData(form)) {
      if (typeof value !== 'string') continue;
      const had = fields[name];
      fields[name] = had === undefined ? value : ([] as string[]).concat(had, value);
    }
    const base = this.input && typeof this.input === 'object' && !Array.isArray(this.input) ? this.input : {};
    void this.start({ ...base, ...fields });
  };

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    this.#job.follow(this.activeClient, { kind: this.kind, target: this.target });
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const busy = this.busy;
    this.toggleAttribute('busy', busy);
    const button = this.#button as (HTMLElement & { disabled?: boolean }) | null;
    if (!button) return;
    if (busy) {
      button.setAttribute('aria-busy', 'true');
      if (!button.disabled) {
        this.#hadFocus = button.matches(':focus');
        button.disabled = true;
        this.#disabledByUs = button;
      }
    } else {
      button.removeAttribute('aria-busy');
      if (this.#disabledByUs === button) {
        button.disabled = false;
        // Give focus back if nothing else took it while the button was disabled.
        if (this.#hadFocus && (!document.activeElement || document.activeElement === document.body)) button.focus();
      }
      this.#disabledByUs = null;
      this.#hadFocus = false;
    }
  }

  protected override render(): TemplateResult {
    const own = !this.htmlFor && !this.querySelector('job-status');
    return html`<slot @slotchange=${() => this.requestUpdate()}></slot>${own
        ? html`<job-status
            part="status"
            exportparts="base:status-base,badge:status-badge,bar:status-bar,message:status-message,times:status-times"
            .client=${this.activeClient}
            .strings=${this.strings}
            kind=${this.kind ?? nothing}
            target=${this.target ?? nothing}
            label=${this.label ?? (this.snapshot ? nothing : (this.#button?.textContent?.trim() || nothing))}
            details-href=${this.detailsHref ?? nothing}
          ></job-status>`
        : nothing}`;
  }
}
