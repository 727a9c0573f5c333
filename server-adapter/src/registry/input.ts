import { JobStatusError } from '../errors.js';
import type { StandardSchema } from './definition.js';

/** How big and how deeply nested a job's input (or result) may be. */
export interface InputBounds {
  /** Levels of nested arrays and objects. */
  maxDepth: number;
  /** Bytes of its JSON text. */
  maxBytes: number;
}

/**
 * Checks that `value` is JSON the store can keep, no deeper than `maxDepth` and no longer
 * than `maxBytes` as JSON text, before anything is queued: 400 naming `field` for too deep
 * or not JSON, 413 for too large. Walks without recursion, so a hostile value 30 000
 * levels deep (or a cycle) is refused instead of overflowing the stack later, in the
 * store, where it would fail other jobs' writes with it.
 */
export function assertBoundedJson(value: unknown, bounds: InputBounds, field: string): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= bounds.maxDepth) {
      throw new JobStatusError(400, 'input_too_deep', `${field}: nested more than ${bounds.maxDepth} levels deep`);
    }
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new JobStatusError(400, 'invalid_input', `${field}: must be JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const bytes = text === undefined ? 0 : Buffer.byteLength(text);
  if (bytes > bounds.maxBytes) {
    throw new JobStatusError(413, 'input_too_large', `${field}: at most ${bounds.maxBytes} bytes of JSON are accepted (got ${bytes})`);
  }
}

/** A handler's result as the store can keep it, or undefined (reported) when it is not JSON or too big. */
export function storableResult(result: unknown, bounds: InputBounds, report: (error: Error) => void): unknown {
  if (result === undefined) return undefined;
  try {
    assertBoundedJson(result, bounds, 'result');
    return result;
  } catch (error) {
    report(error as Error);
    return undefined;
  }
}

/** Runs a kind's schema on the input; 400 naming the field of the first issue. */
export async function validateInput(schema: StandardSchema | undefined, input: unknown) {
  if (!schema) return input ?? null;
  const result = await schema['~standard'].validate(input);
  if (!result.issues) return result.value;
  const issue = result.issues[0]!;
  const path = (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part));
  throw new JobStatusError(400, 'invalid_input', `${['input', ...path].join('.')}: ${issue.message}`);
}

/** JSON text of a value with its object keys sorted: two inputs that mean the same compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  ) ?? 'null';
}
