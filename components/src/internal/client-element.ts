import { ContextConsumer } from '@lit/context';
import { LitElement } from 'lit';
import type { PropertyDeclarations, PropertyValues } from 'lit';
import type { JobStatusClient } from '../client/types.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { jobStatusClientContext } from './context.js';
import { defaultClient } from './default-client.js';

/**
 * What every element that talks to the server shares: where its client comes from,
 * the theme switch, and whether what it shows may be out of date (the reflected `stale`
 * attribute). Not registered; not exported.
 */
export class ClientElement extends LitElement {
  // Lit's static declarations rather than its decorators: the same properties, without the
  // decorator functions and one call per property in every bundle (issue 16).
  static override properties: PropertyDeclarations = {
    baseUrl: { attribute: 'base-url' },
    client: { attribute: false },
    theme: { reflect: true },
  };

  /**
   * Where the job-status middleware is mounted, e.g. `/api/admin/jobs`. Needed only
   * outside a `<job-status-provider>` (or to reach another server than the provider's):
   * every element with the same `base-url` shares one client and one connection.
   */
  baseUrl: string | null = null;

  /**
   * A client to use instead of the provider's or the shared default, e.g. one the app
   * created with `createJobStatusClient()` for its own code. Property only.
   */
  client: JobStatusClient | undefined;

  /** Forces the `light` or `dark` theme; by default the element follows the system setting. */
  theme: 'light' | 'dark' | undefined;

  /** The client of the `<job-status-provider>` around the element, if any; a new one re-renders it. */
  readonly #provided = new ContextConsumer(this, { context: jobStatusClientContext, subscribe: true });

  /**
   * The client in use: `client`, else the provider's (unless `base-url` names another
   * server), else the shared default client of `base-url`.
   */
  protected get activeClient(): JobStatusClient | undefined {
    const provided = this.#provided.value;
    const base = this.baseUrl?.replace(/\/+$/, '');
    if (this.client) return this.client;
    if (provided && (!base || provided.baseUrl === base)) return provided;
    return base ? defaultClient(base) : undefined;
  }

  /**
   * True while what the element shows may be out of date: the client's stream is down and
   * its polls fail, or the server cannot be reached. Reflected to the `stale` attribute;
   * it clears by itself when updates arrive again.
   */
  get stale(): boolean {
    return this.connection.stale;
  }

  /** The client's connection, observed: re-renders the element when it changes. */
  protected readonly connection = new ConnectionController(this);

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    this.connection.client = this.activeClient;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    this.toggleAttribute('stale', this.stale);
  }

  protected override firstUpdated(): void {
    if (!this.activeClient) {
      console.warn(`job-status: <${this.localName}> has no server: set base-url, or place it inside <job-status-provider>`);
    }
  }
}
