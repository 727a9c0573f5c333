import { JOB_STATES } from '@job-status/protocol';
import type { Wants } from './subjects.js';

const enc = encodeURIComponent;

/**
 * The query of the one stream for what a tab (or a tab group) wants: `job=` for every
 * busy watched job, `log=` for every watched log, and the kinds, targets and states of
 * every scope and filter. The server carries a job when it is named, or when it matches
 * every dimension given, so several scopes give a superset; each tab keeps only what it
 * watches. A dimension one scope or filter leaves open is left out (a larger superset);
 * past `maxIds` ids (what the server takes in one request) the `job=` filters are dropped for the same reason. When the
 * superset is "every job" but jobs are named too, every state is named, so the stream
 * still carries every job. `log=` parts carry no line seq: the stream adds it.
 */
export function streamQuery({ ids, scopes, filters, logs }: Wants, maxIds: number): string {
  const wide = [...scopes, ...filters] as Array<Record<string, string | null | undefined>>;
  const named = [...(ids.length > maxIds ? [] : ids.map((id) => `job=${enc(id)}`)), ...Object.keys(logs).map((id) => `log=${enc(id)}`)];
  const dim = (name: string) =>
    wide.some((s) => s[name] == null) ? [] : [...new Set(wide.map((s) => `${name}=${enc(s[name]!)}`))];
  let dims = [...dim('kind'), ...dim('target'), ...dim('state')];
  if (!dims.length && named.length && (wide.length || ids.length > maxIds)) dims = JOB_STATES.map((s) => `state=${s}`);
  return [...named, ...dims].join('&');
}

/** True when a stream opened with query `open` carries everything `wanted` asks for. */
export const covers = (open: string, wanted: string) =>
  wanted.split('&').every((part) => open.split('&').includes(part));
