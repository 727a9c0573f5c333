import { isTerminalState } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { JobStatusStrings } from './strings.js';

/**
 * The progress of a job as words: "25 of 100 files", "25 files", "25%", or null when
 * nothing is known.
 */
export function progressText(snapshot: JobSnapshot, strings: JobStatusStrings): string | null {
  const p = snapshot.progress;
  if (!p) return null;
  const count =
    p.current === null
      ? null
      : p.total === null
        ? strings.progressCurrent(p.current, p.unit)
        : strings.progressCount(p.current, p.total, p.unit);
  return count ?? (p.percent === null ? null : strings.percent(p.percent));
}

/**
 * The progress bar of a running job (determinate when a percent is known, otherwise
 * indeterminate, with no `aria-valuenow`/min/max at all), or the last known progress of
 * a finished one. Nothing for a queued job, or a finished one that never reported any.
 */
export function progressBar(snapshot: JobSnapshot, strings: JobStatusStrings): TemplateResult | typeof nothing {
  const percent = snapshot.progress?.percent ?? null;
  if (snapshot.state === 'queued' || (isTerminalState(snapshot.state) && percent === null)) return nothing;
  const text = progressText(snapshot, strings);
  const known = percent !== null;
  const shown = known && snapshot.progress?.current !== null ? `${text} · ${strings.percent(percent)}` : text;
  return html`<div part="progress" class="progress">
    <div
      part="bar"
      class="bar ${known ? '' : 'indeterminate'}"
      role="progressbar"
      aria-label=${strings.progress}
      aria-valuemin=${known ? 0 : nothing}
      aria-valuemax=${known ? 100 : nothing}
      aria-valuenow=${known ? percent : nothing}
      aria-valuetext=${text ?? nothing}
    ><svg aria-hidden="true"><rect part="bar-fill" class="fill" height="100%" width=${known ? `${percent}%` : '40%'} rx="4"/></svg></div>
    ${shown ? html`<span part="progress-text" class="progress-text">${shown}</span>` : nothing}
  </div>`;
}
