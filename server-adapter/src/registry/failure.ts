import type { JobError } from '@job-status/protocol';

/**
 * What a thrown value means for the admin: its message, a code, and a hint when it has
 * one. Message and hint are cut at `maxLength` characters (default 4096).
 */
export function failureOf(thrown: unknown, maxLength = 4096): JobError {
  const record = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as { message?: unknown; code?: unknown; hint?: unknown };
  const message = typeof record.message === 'string' && record.message ? record.message : typeof thrown === 'string' ? thrown : 'The job failed.';
  return {
    code: typeof record.code === 'string' && record.code ? record.code.slice(0, 100) : 'failed',
    message: message.slice(0, maxLength),
    hint: typeof record.hint === 'string' ? record.hint.slice(0, maxLength) : null,
  };
}
