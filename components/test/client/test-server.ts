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
}

async function post(path: string, body: unknown = {}) {
  const response = await fetch(serverUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A fresh tenant: its own base URL and switches, so concurrent tests never meet. */
export async function newTenant(flags: TenantFlags = {}) {
  const id = crypto.randomUUID().slice(0, 8);
  await post(`/control/tenant/${id}`, flags);
  return {
    baseUrl: `${serverUrl}/t/${id}/jobs`,
    /** The tenant's base URL on the job service whose `limits.maxIds` is 3. */
    fewIdsBaseUrl: `${serverUrl}/t/${id}/few-ids`,
    set: (next: TenantFlags) => post(`/control/tenant/${id}`, next),
  };
}

/** A target no other test uses. */
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

/** Opens the next gate of a job: a `test.gated` job finishes, a `test.twostep` one moves on a step. */
export const release = (jobId: string) => post(`/control/release/${jobId}`);

/** Makes a job disappear for every caller: 404, and absent from `?ids=`. */
export const hide = (jobId: string) => post(`/control/hide/${jobId}`);
