import { html, svg } from 'lit';
import type { SVGTemplateResult, TemplateResult } from 'lit';
import type { TileState } from '../controllers/job-controller.js';

// One shape per state, so the state reads without colour: a dotted ring (idle, gone),
// a clock (queued), a spinner (running), a tick, a warning triangle, a cross, a slash.
const ring = svg`<circle cx="8" cy="8" r="6" stroke-dasharray="2 2.7"/>`;
const triangle = svg`<path d="M8 2 14.5 13.5h-13zM8 6.5v3m0 2v.1"/>`;
const ICONS: Record<TileState, SVGTemplateResult> = {
  idle: ring,
  gone: ring,
  queued: svg`<circle cx="8" cy="8" r="6"/><path d="M8 5v3.2l2 1.3"/>`,
  running: svg`<circle cx="8" cy="8" r="6" opacity=".3"/><path d="M8 2a6 6 0 0 1 6 6"/>`,
  success: svg`<circle cx="8" cy="8" r="6"/><path d="m5.3 8.2 1.9 1.9 3.6-3.9"/>`,
  warning: triangle,
  unavailable: triangle,
  failed: svg`<circle cx="8" cy="8" r="6"/><path d="m5.8 5.8 4.4 4.4m0-4.4-4.4 4.4"/>`,
  canceled: svg`<circle cx="8" cy="8" r="6"/><path d="m3.8 12.2 8.4-8.4"/>`,
};

/**
 * The state badge: a shape and a word, coloured by the state's token pair. The running
 * spinner turns the whole icon (its faint ring looks the same at any angle): a transform
 * of an `<svg>` box runs on the compositor, where one of a shape inside it would make
 * the page repaint every frame, for every running tile.
 */
export const stateBadge = (state: TileState, text: string): TemplateResult =>
  html`<span part="badge" class="badge" data-state=${state}
    ><svg class=${state === 'running' ? 'spin' : ''} viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"
      stroke-linejoin="round" aria-hidden="true">${ICONS[state]}</svg
    >${text}</span
  >`;
