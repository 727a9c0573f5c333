import type { JobState, ListSort } from '@job-status/protocol';
import { JOB_STATES, LIST_SORTS } from '@job-status/protocol';
import { JobStatusError } from '../errors.js';
import { decodeCursor } from '../stores/cursor.js';
import { NAME_MAX, NAME_PATTERN, UUID_PATTERN } from './patterns.js';

export const badRequest = (code: string, message: string) => new JobStatusError(400, code, message);

/** A job id from a path or a list; 400 naming `field` when it is not a UUID. */
export function jobId(value: string, field: string): string {
  // This runs for every id of every poll: the usual lower-case id passes one test and is
  // kept as it is; any other is checked against JobIdSchema's pattern and lower-cased.
  if (LOWER_CASE_UUID.test(value)) return value;
  if (!UUID.test(value)) throw badRequest('invalid_id', `${field}: expected a job id (UUID), got ${preview(value)}`);
  return value.toLowerCase();
}

/** UUID_PATTERN, written with the `i` flag (V8 matches it faster: the same strings, as validate.test.ts checks). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A UUID that lower-casing leaves as it is. */
const LOWER_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The values of the query parameter `key` in `url`, as Hono's `c.req.queries(key)` reads
 * them (undefined when there is none), read straight from the URL for the poll's `ids=`;
 * null when the query holds `%`, `+` or `#`, whose decoding Hono's reader does.
 */
export function queryValues(url: string, key: string): string[] | undefined | null {
  const query = url.indexOf('?', 8);
  if (query === -1) return undefined;
  if (url.indexOf('%', query) !== -1 || url.indexOf('+', query) !== -1 || url.indexOf('#', 8) !== -1) return null;
  let values: string[] | undefined;
  for (let at = query + 1; at <= url.length; ) {
    let next = url.indexOf('&', at);
    if (next === -1) next = url.length;
    // A parameter is named up to its first `=`; one without `=` has the value ''.
    const after = at + key.length;
    if (url.startsWith(key, at) && (after === next || url.charCodeAt(after) === 61 /* = */)) {
      (values ??= []).push(after === next ? '' : url.slice(after + 1, next));
    }
    at = next + 1;
  }
  return values;
}

/** A kind or target name; 400 naming `field` when empty, too long or with control characters. */
export function name(value: unknown, field: string): string {
  // NameSchema's checks, made directly (see patterns.ts).
  if (typeof value !== 'string' || value.length < 1 || value.length > NAME_MAX || !NAME_PATTERN.test(value)) {
    throw badRequest('invalid_' + field.replace(/\W.*/, ''), `${field}: expected text of 1 to ${NAME_MAX} printable characters`);
  }
  return value as string;
}

/** Values of a query parameter that may repeat and may hold comma-separated lists. */
export function listParam(values: string[] | undefined): string[] {
  if (!values) return [];
  // One value without a comma (a stream on one job, a poll of one id): nothing to split.
  if (values.length === 1 && !values[0]!.includes(',')) return values[0] === '' ? [] : values;
  const list: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) if (part !== '') list.push(part);
  }
  return list;
}

/**
 * The `log=` values of a stream: `<jobId>` or `<jobId>:<after>`, to the last line each
 * client holds (0: every line). A job named twice starts at the lower of the two.
 */
export function logParams(values: string[]): Map<string, number> {
  const logs = new Map<string, number>();
  for (const value of values) {
    const match = /^([^:]*)(?::(\d{1,15}))?$/.exec(value);
    if (!match || !UUID_PATTERN.test(match[1]!)) {
      throw badRequest('invalid_log', `log: expected <job id> or <job id>:<last line seq>, got ${preview(value)}`);
    }
    const id = match[1]!.toLowerCase();
    const after = Number(match[2] ?? 0);
    logs.set(id, Math.min(after, logs.get(id) ?? after));
  }
  return logs;
}

export function integerParam(value: string | undefined, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,16}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw badRequest('invalid_' + field, `${field}: expected a whole number from ${min} to ${max}, got ${preview(value)}`);
  }
  return Number(value);
}

export function statesParam(values: string[]): JobState[] {
  for (const state of values) {
    if (!(JOB_STATES as readonly string[]).includes(state)) throw badRequest('invalid_state', `state: expected queued, running, success, warning, failed or canceled, got ${preview(state)}`);
  }
  return values as JobState[];
}

export function sortParam(value: string | undefined): ListSort {
  if (value === undefined || value === '') return 'created_desc';
  if (!(LIST_SORTS as readonly string[]).includes(value)) {
    throw badRequest('invalid_sort', `sort: expected one of ${LIST_SORTS.join(', ')}, got ${preview(value)}`);
  }
  return value as ListSort;
}

export function cursorParam(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 300 || !decodeCursor(value)) throw badRequest('invalid_cursor', 'cursor: expected the next_cursor of a previous page');
  return value;
}

/** Quotes a value for an error message, cut short so an error never echoes a huge input. */
export function preview(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
