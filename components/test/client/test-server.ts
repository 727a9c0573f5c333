import type { JobSnapshot } from '@job-status/protocol';

declare global {
  interface Window {
    /** Set by web-test-runner.config.mjs: the URL of test/server/server.ts. */
    JOB_STATUS_SERVER: string;
  }
}

/** The test server's origin. */
export const serverUrl = window.JOB_STATUS_SERVER;

/** Switches of one tenant; see test/server/server.ts. */
export interface TenantFlags {
  events?: 'ok' | 'fail' | 'silent';
  polls?: 'ok' | 'fail';
  retryAfter?: number;
  auth?: 'ok' | '401' | '403';
  minInterval?: number;
  /** The caller's display name (recorded as a job's `actor`). */
  name?: string;
}

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}
const post = (path: string, body: unknown = {}) => call('POST', serverUrl + path, body);

/** A tenant of its own: its base URL, and its controls on the test server. */
export interface Tenant {
  id: string;
  baseUrl: string;
  /** The tenant's base URL on the job service whose `limits.maxIds` is 3. */
  fewIdsBaseUrl: string;
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
  /** Switches of the tenant, replacing the ones it had. */
  set(flags: TenantFlags): Promise<void>;
}

/** A fresh tenant: its own base URL and switches, so tests running at the same time never meet. */
export async function newTenant(flags: TenantFlags = {}): Promise<Tenant> {
  const id = crypto.randomUUID().slice(0, 8);
  await post(`/control/tenant/${id}`, flags);
  const baseUrl = `${serverUrl}/t/${id}/jobs`;
  return {
    id,
    baseUrl,
    fewIdsBaseUrl: `${serverUrl}/t/${id}/few-ids`,
    enqueue: async (kind, { target = null, input } = {}) =>
      (await call('POST', baseUrl, { kind, target, input })).initial_status,
    cancel: (jobId) => call('POST', `${baseUrl}/${jobId}/cancel`),
    holdEnqueues: () => post(`/control/hold-enqueue/${id}`),
    releaseEnqueues: () => post(`/control/release-enqueue/${id}`),
    heldEnqueues: async () => (await call('GET', `${serverUrl}/control/held-enqueues/${id}`)).held,
    streamsOpened: async () => (await call('GET', `${serverUrl}/control/streams/${id}`)).opened,
    set: (next) => post(`/control/tenant/${id}`, next),
  };
}

/** A target no other test uses (the server's history is shared by all tenants). */
export const uniqueTarget = () => `target-${crypto.randomUUID().slice(0, 8)}`;

/**
 * Creates jobs on the server directly (as app code would), not through a client, and
 * resolves once each has settled: a `test.gated` one waits at its gate (phase, progress
 * and log written), a `test.twostep` one waits in step 1, a `test.quick` one is done.
 */
export async function enqueueOnServer(
  kind: 'test.gated' | 'test.twostep' | 'test.quick',
  target: string | null,
  count = 1,
  service?: 'few-ids',
): Promise<JobSnapshot[]> {
  return (await post('/control/enqueue', { kind, target, count, service })).jobs;
}

/** Opens a waiting job's next gate: a `test.gated` job finishes, a `test.twostep` one moves on a step (likewise `test.serial`, `test.progress`, `test.logs`, ...). */
export const release = (jobId: string) => post(`/control/release/${jobId}`);

/** Makes a job disappear for every caller: 404, and absent from `?ids=`. */
export const hide = (jobId: string) => post(`/control/hide/${jobId}`);
