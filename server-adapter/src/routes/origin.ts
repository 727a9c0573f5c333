import type { Context } from 'hono';
import { JobStatusError } from '../errors.js';

/** Which other origins may start and cancel jobs. */
export type TrustedOrigins = readonly string[] | ((origin: string, c: Context) => boolean);

/**
 * Refuses state-changing requests that a browser sent from another site. A request
 * whose `Origin` names this host, or a trusted origin, passes; a request without
 * `Origin` passes unless the browser marked it `Sec-Fetch-Site: cross-site` (servers
 * and `curl` send neither). Hosts are compared, not schemes, so a TLS-terminating proxy
 * in front of the app does not break same-origin requests.
 */
export function assertSameOrigin(c: Context, trusted: TrustedOrigins | undefined): void {
  const origin = c.req.header('origin');
  if (origin === undefined) {
    if (c.req.header('sec-fetch-site') === 'cross-site') throw crossOrigin();
    return;
  }
  if (isTrusted(origin, c, trusted)) return;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    // "null" (sandboxed frames, some redirects) or garbage: never the same origin
  }
  const self = c.req.header('host') ?? new URL(c.req.url).host;
  if (host === null || host !== self) throw crossOrigin();
}

function isTrusted(origin: string, c: Context, trusted: TrustedOrigins | undefined) {
  if (!trusted) return false;
  return typeof trusted === 'function' ? trusted(origin, c) : trusted.includes(origin);
}

const crossOrigin = () =>
  new JobStatusError(403, 'cross_origin', 'Origin: jobs can only be started and canceled from this site');
