/** One server-sent event, before encoding. */
export interface SseFrame {
  event?: string;
  id?: string;
  data?: string;
  /** Reconnection delay in milliseconds the browser should use. */
  retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Encodes one event in the text/event-stream format: one `data:` line per line of
 * payload, so a payload with line breaks arrives intact. `event` and `id` must not
 * contain line breaks (they would end the field early); `id` must not contain NUL.
 */
export function encodeFrame(frame: SseFrame): string {
  let out = '';
  if (frame.retry !== undefined) {
    if (!Number.isInteger(frame.retry) || frame.retry < 0) throw new RangeError('job-status: retry must be a whole number of milliseconds');
    out += `retry: ${frame.retry}\n`;
  }
  if (frame.id !== undefined) {
    if (/[\r\n\0]/.test(frame.id)) throw new RangeError('job-status: an event id must not contain CR, LF or NUL');
    out += `id: ${frame.id}\n`;
  }
  if (frame.event !== undefined) {
    if (/[\r\n]/.test(frame.event)) throw new RangeError('job-status: an event name must not contain CR or LF');
    out += `event: ${frame.event}\n`;
  }
  if (frame.data !== undefined) {
    for (const line of frame.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  return `${out}\n`;
}
