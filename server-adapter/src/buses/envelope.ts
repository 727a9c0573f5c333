import { isJobLogLine } from '@job-status/protocol';
import { JobStatusError } from '../errors.js';
import type { BusMessage } from './bus.js';

/**
 * True for a message a networked bus may deliver: it arrives from another process (or
 * from another app on the same channel), so its shape is checked before any listener
 * sees it.
 */
export function isBusMessage(value: unknown): value is BusMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; job_id?: unknown; snapshot?: unknown; lines?: unknown; last_seq?: unknown };
  if (message.type === 'cancel') return typeof message.job_id === 'string';
  if (message.type === 'log') {
    return typeof message.job_id === 'string' && Number.isSafeInteger(message.last_seq) && Array.isArray(message.lines) && message.lines.every(isJobLogLine);
  }
  if (message.type !== 'job' || typeof message.snapshot !== 'object' || message.snapshot === null) return false;
  const snapshot = message.snapshot as { job_id?: unknown; seq?: unknown; kind?: unknown; state?: unknown };
  return typeof snapshot.job_id === 'string' && Number.isSafeInteger(snapshot.seq) && typeof snapshot.kind === 'string' && typeof snapshot.state === 'string';
}

/**
 * What a networked bus does once it has tried to send: a lost change or log line is only
 * logged as an outage (the other instances read it from the store), but a cancel has no other way
 * to reach the instance that runs the job, so its caller hears 503.
 */
export function settleSend(sent: Promise<void>, message: BusMessage, outage: (error: Error) => void, unreachable: string): void | Promise<void> {
  if (message.type !== 'cancel') {
    sent.catch(outage);
    return;
  }
  return sent.catch((error: Error) => {
    outage(error);
    throw new JobStatusError(503, 'bus_unavailable', `The request could not reach the server running this job (${unreachable}); try again shortly.`);
  });
}
