import type { JobSnapshot } from '@job-status/protocol';

declare global {
  interface Window {
    /** Set by web-test-runner.config.mjs: the URL of test/server/server.ts. */
    JOB_STATUS_SERVER: string;
  }
}

/** The real test server (test/server/server.ts). */
export const serverUrl = window.JOB_STATUS_SERVER;

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A tenant of its own: its base URL, and its controls on the test server. */
export interface Tenant {
  id: string;
  baseUrl: string;
  /** Starts a job through the real `POST /` route, as another admin would. */
  enqueue(kind: string, options?: { target?: string | null; input?: unknown }): Promise<JobSnapshot>;
  /** Cancels a job through the real `POST /:id/cancel` route. */
  cancel(jobId: string): Promise<JobSnapshot>;
  /** From now on, `POST /` answers wait until {@link Tenant.releaseEnqueues}. */
  holdEnqueues(): Promise<void>;
  releaseEnqueues(): Promise<void>;
  /** `POST /` requests waiting for {@link Tenant.releaseEnqueues}. */
  heldEnqueues(): Promise<number>;
  /** `/events` streams opened so far. */
  streamsOpened(): Promise<number>;
  /** Switches of the tenant (see the server's `TenantFlags`). */
  set(flags: Record<string, unknown>): Promise<void>;
}

/** A fresh tenant, so tests running at the same time never see each other's streams. */
export async function newTenant(flags: Record<string, unknown> = {}): Promise<Tenant> {
  const id = crypto.randomUUID().slice(0, 8);
  await call('POST', `${serverUrl}/control/tenant/${id}`, flags);
  const baseUrl = `${serverUrl}/t/${id}/jobs`;
  return {
    id,
    baseUrl,
    enqueue: async (kind, { target = null, input } = {}) =>
      (await call('POST', baseUrl, { kind, target, input })).initial_status,
    cancel: (jobId) => call('POST', `${baseUrl}/${jobId}/cancel`),
    holdEnqueues: () => call('POST', `${serverUrl}/control/hold-enqueue/${id}`),
    releaseEnqueues: () => call('POST', `${serverUrl}/control/release-enqueue/${id}`),
    heldEnqueues: async () => (await call('GET', `${serverUrl}/control/held-enqueues/${id}`)).held,
    streamsOpened: async () => (await call('GET', `${serverUrl}/control/streams/${id}`)).opened,
    set: (flags) => call('POST', `${serverUrl}/control/tenant/${id}`, flags),
  };
}

/** A target no other test uses (the server's history is shared by all tenants). */
export const uniqueTarget = () => `t-${crypto.randomUUID().slice(0, 8)}`;

/** Opens a waiting job's next gate (`test.gated`, `test.serial`, `test.progress`, `test.logs`, ...). */
export const release = (jobId: string) => call('POST', `${serverUrl}/control/release/${jobId}`);

/** Makes a job disappear for every caller: 404, and absent from `?ids=`. */
export const hide = (jobId: string) => call('POST', `${serverUrl}/control/hide/${jobId}`);

/**
 * Waits until `check()` holds, looking every 10 ms; fails after `timeoutMs` naming
 * `what`. The bound only turns a hang into a readable failure; no test depends on it.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until `check()` resolves true (for server-side conditions). */
export async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The visible text of an element's shadow root, whitespace collapsed. */
export const textOf = (root: Element | ShadowRoot | null | undefined): string =>
  (root?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** `querySelector` in an element's shadow root. */
export const inShadow = <E extends Element = HTMLElement>(host: Element, selector: string): E | null =>
  host.shadowRoot!.querySelector<E>(selector);
