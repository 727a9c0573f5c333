import { css } from 'lit';

/**
 * Layout of `<job-status>`; colours and shapes come from the shared styles. The tile
 * contains its layout and paint, so an update lays out and paints this tile alone; out of
 * view the browser skips it (`content-visibility: auto`: no style, layout or paint, and
 * the page around it is not laid out again when it changes; it keeps its last size), and
 * its spinner has no animation at all (`offscreen`): a running animation, even paused,
 * costs every frame the page draws.
 */
export const jobStatusStyles = css`
  :host {
    contain: content;
    content-visibility: auto;
    contain-intrinsic-size: auto 20rem auto 7rem;
  }
  :host(:state(offscreen)) .spin {
    animation-name: none;
    animation-play-state: paused;
  }
  .base {
    display: grid;
    gap: calc(var(--job-status-space) * 0.75);
    padding: var(--job-status-space) calc(var(--job-status-space) * 1.5);
    border: 1px solid var(--job-status-border);
    border-inline-start: 4px solid var(--_fg);
    border-radius: var(--job-status-radius);
    background: var(--job-status-surface);
  }
  .head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--job-status-space);
  }
  .label {
    font-weight: 600;
  }
  p {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .phase,
  .times,
  .time-left,
  .muted {
    color: var(--job-status-muted);
  }
  .error {
    display: grid;
    gap: 0.25em;
    color: var(--job-status-text);
  }
  .hint b {
    font-weight: 600;
  }
  .times {
    display: flex;
    flex-wrap: wrap;
    gap: 0 calc(var(--job-status-space) * 2);
    margin: 0;
  }
  .times div {
    display: flex;
    gap: 0.3em;
  }
  dd {
    margin: 0;
  }
`;
