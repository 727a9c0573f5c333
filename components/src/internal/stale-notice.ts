import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { relativeTime } from './job-times.js';
import type { JobStatusStrings } from './strings.js';

/**
 * The quiet line an element shows while what it shows may be out of date:
 * "Reconnecting… Last update 2 minutes ago" (the time as a `<time>`, absolute on hover).
 * Words and a shape, never colour alone.
 */
export function staleNotice(lastUpdateAt: number | null, now: number, strings: JobStatusStrings): TemplateResult {
  return html`<p part="stale" class="stale">
    <svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" aria-hidden="true"
      ><path d="M2.5 8a5.5 5.5 0 0 1 9.4-3.9M13.5 8a5.5 5.5 0 0 1-9.4 3.9M12 1.5v2.8H9.2M4 14.5v-2.8h2.8"/></svg
    ><span>${strings.reconnecting}</span>
    <span
      >${lastUpdateAt === null
        ? strings.noUpdateYet
        : html`${strings.lastUpdate} ${relativeTime(new Date(lastUpdateAt).toISOString(), now, strings)}`}</span
    >
  </p>`;
}
