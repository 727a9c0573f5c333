import type { JobError } from '@job-status/protocol';

/** Longest message, code and hint kept from a failure; the registry trims further. */
const MAX = 4096;

/** What a thrown value means for the admin: its message, a code, and a hint when it has one. */
export function failureOf(thrown: unknown): JobError {
  const record = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as { message?: unknown; code?: unknown; hint?: unknown };
  const message = typeof record.message === 'string' && record.message ? record.message : typeof thrown === 'string' ? thrown : 'The job failed.';
  return {
    code: typeof record.code === 'string' && record.code ? record.code.slice(0, 100) : 'failed',
    message: message.slice(0, MAX),
    hint: typeof record.hint === 'string' ? record.hint.slice(0, MAX) : null,
  };
}
