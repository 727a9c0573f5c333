import type { JobScope } from './types.js';

/** Ids per `?ids=` request and per stream: the server's default `limits.maxIds`. */
export const MAX_IDS = 100;

const enc = encodeURIComponent;

/**
 * The query of the one stream: `job=` for every busy watched job, and the kinds and
 * targets of every scope. The server carries a job when it is named, or when its kind
 * is among the kinds and its target among the targets, so several scopes give a
 * superset; the client keeps only what it watches. A scope without a target cannot be
 * said as `target=`, so then the targets are left out (a larger superset). Past
 * {@link MAX_IDS} ids the `job=` filters are dropped for the same reason.
 */
export function streamQuery(ids: readonly string[], scopes: readonly JobScope[]): string {
  const kinds = new Set(scopes.map((s) => `kind=${enc(s.kind)}`));
  const targets = new Set(scopes.map((s) => s.target != null && `target=${enc(s.target)}`));
  return [
    ...(ids.length > MAX_IDS ? [] : ids.map((id) => `job=${enc(id)}`)),
    ...kinds,
    ...(targets.has(false) ? [] : targets),
  ].join('&');
}

/** True when a stream opened with query `open` carries everything `wanted` asks for. */
export const covers = (open: string, wanted: string) =>
  wanted.split('&').every((part) => open.split('&').includes(part));
