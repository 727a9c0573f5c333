import { ContextProvider } from '@lit/context';
import { css, html, LitElement } from 'lit';
import type { PropertyDeclarations, PropertyValues, TemplateResult } from 'lit';
import { createJobStatusClient } from '../../client/create-client.js';
import { DEFAULT_INTERVAL } from '../../client/delays.js';
import type { JobStatusClient } from '../../client/types.js';
import { jobStatusClientContext } from '../../internal/context.js';
import { PollInterval } from '../../internal/poll-interval.js';

/**
 * Gives every job-status element inside it one shared client, so a page holds a single
 * connection however many tiles it shows. It renders only its children.
 *
 * The client is created on connect (from `base-url` and `interval`), re-created when
 * either changes, and closed on disconnect, unless the page passed its own `client`.
 *
 * @tagname job-status-provider
 * @summary One shared job-status client for every element inside it.
 *
 * @slot - The page content with job-status elements anywhere inside it.
 *
 * @example
 * <job-status-provider base-url="/api/admin/jobs">
 *   <job-trigger kind="sync.push" target="peer-a"><button>Push</button></job-trigger>
 *   <job-list></job-list>
 * </job-status-provider>
 */
export class JobStatusProviderElement extends LitElement {
  static override styles = css`
    :host {
      display: contents;
    }
  `;
  static override properties: PropertyDeclarations = {
    baseUrl: { attribute: 'base-url' },
    interval: { type: Number },
    client: { attribute: false },
  };

  /** Where the job-status middleware is mounted, e.g. `/api/admin/jobs`. */
  baseUrl: string | null = null;

  /**
   * Polling interval in milliseconds, used only while the event stream is unavailable.
   * Default 3000; allowed 2000–60000: a value that is not a number becomes the default,
   * one out of range the nearest bound, with a console warning.
   */
  interval: number | null = null;

  /**
   * The client to provide, set by the page instead of `base-url` (e.g. one it shares
   * with its own code). A client set this way is never closed by the provider.
   */
  get client(): JobStatusClient | undefined {
    return this.#given ?? this.#own;
  }
  set client(client: JobStatusClient | undefined) {
    this.#given = client;
    this.#sync();
  }

  /** Hands `client` to every element inside that asks for it. */
  readonly #provider = new ContextProvider(this, { context: jobStatusClientContext });

  #given: JobStatusClient | undefined;
  #own: JobStatusClient | undefined;
  #ownKey = '';
  readonly #interval = new PollInterval('<job-status-provider> interval', DEFAULT_INTERVAL);

  override connectedCallback(): void {
    super.connectedCallback();
    this.#sync();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#sync();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('baseUrl') || changed.has('interval')) this.#sync();
  }

  /**
   * Keeps the provider's own client in line with its settings: created while connected
   * with a `base-url` and no client from the page, re-created when the settings change,
   * closed otherwise.
   */
  #sync() {
    const interval = this.#interval.read(this.interval);
    const key = !this.#given && this.isConnected && this.baseUrl ? `${this.baseUrl} ${interval}` : '';
    if (key !== this.#ownKey) {
      this.#own?.close();
      this.#own = key ? createJobStatusClient({ baseUrl: this.baseUrl!, interval }) : undefined;
      this.#ownKey = key;
    }
    this.#provider.setValue(this.client);
  }

  protected override render(): TemplateResult {
    return html`<slot></slot>`;
  }
}
