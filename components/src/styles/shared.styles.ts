import { css, unsafeCSS } from 'lit';
import { TOKEN_STATES } from './tokens.styles.js';

// `--_fg`/`--_bg`: the colour pair of the state at hand, for the host (`state`
// attribute) or any inner element that carries `data-state` (a row, a badge).
const stateColors = unsafeCSS(
  TOKEN_STATES.map(
    (s) => `:host([state='${s}']),[data-state='${s}']{--_fg:var(--job-status-${s}-color);--_bg:var(--job-status-${s}-bg)}`,
  ).join(''),
);

/**
 * What every element shares: font and colours from the tokens, the state colour pair,
 * the state badge, the progress bar, the times, a visually hidden class, focus rings,
 * reduced motion and forced colours. Right-to-left pages fill the bar from the right;
 * with reduced motion an indeterminate bar is a still hatched track instead of a moving
 * slice. (Comments stay out of the CSS text: it ships as written.)
 */
export const sharedStyles = css`
  :host {
    --_fg: var(--job-status-idle-color);
    --_bg: var(--job-status-idle-bg);
    display: block;
    font-family: var(--job-status-font-family);
    font-size: var(--job-status-font-size);
    line-height: 1.45;
    color: var(--job-status-text);
  }
  :host([hidden]) {
    display: none;
  }
  ${stateColors}
  :host([state='gone']),
  [data-state='gone'] {
    --_fg: var(--job-status-canceled-color);
    --_bg: var(--job-status-canceled-bg);
  }
  :host([state='unavailable']),
  [data-state='unavailable'] {
    --_fg: var(--job-status-warning-color);
    --_bg: var(--job-status-warning-bg);
  }
  .vh {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  a {
    color: var(--job-status-link);
  }
  :focus-visible {
    outline: 2px solid var(--job-status-focus);
    outline-offset: 2px;
  }
  .stale {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.2em 0.4em;
    margin: var(--job-status-space) 0 0;
    color: var(--job-status-muted);
    font-size: 0.9em;
  }
  .stale svg {
    width: 1em;
    height: 1em;
    flex: none;
  }
  .badge {
    display: inline-flex;
    align-items: center;
    gap: 0.3em;
    padding: 0.1em 0.55em 0.1em 0.4em;
    border-radius: 999px;
    color: var(--_fg);
    background: var(--_bg);
    font-weight: 600;
    white-space: nowrap;
  }
  .badge svg {
    width: 1em;
    height: 1em;
    flex: none;
  }
  /*
   * Eight steps a turn, not a smooth turn: on a page of many running tiles, a frame the
   * page draws for an update costs about a quarter less (docs/performance.md).
   */
  .spin {
    animation: spin 1s steps(8) infinite;
  }
  .progress {
    display: flex;
    align-items: center;
    gap: var(--job-status-space);
  }
  .bar {
    flex: 1;
    min-width: 4rem;
    height: 0.5rem;
    border-radius: 999px;
    background: var(--job-status-track);
    overflow: hidden;
  }
  .bar svg {
    display: block;
    width: 100%;
    height: 100%;
  }
  :host(:dir(rtl)) .bar svg {
    transform: scaleX(-1);
  }
  .fill {
    fill: var(--_fg);
    transition: width 0.3s;
  }
  .indeterminate .fill {
    transform-box: fill-box;
    animation: slide 1.4s ease-in-out infinite;
  }
  .progress-text {
    color: var(--job-status-muted);
    white-space: nowrap;
    font-variant-numeric: tabular-nums;
  }
  time {
    font-variant-numeric: tabular-nums;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @keyframes slide {
    from {
      transform: translateX(-100%);
    }
    to {
      transform: translateX(250%);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    *,
    .spin,
    .indeterminate .fill {
      animation: none !important;
      transition: none !important;
    }
    .indeterminate {
      background: repeating-linear-gradient(-45deg, var(--_fg) 0 4px, var(--job-status-track) 4px 10px);
    }
    .indeterminate .fill {
      display: none;
    }
  }
  @media (forced-colors: active) {
    .badge {
      border: 1px solid CanvasText;
    }
    .bar {
      border: 1px solid CanvasText;
    }
    .fill {
      fill: Highlight;
    }
  }
`;
