import { css } from 'lit';

/** Layout of `<job-detail>`. */
export const jobDetailStyles = css`
  .base {
    display: grid;
    gap: var(--job-status-space);
    padding: calc(var(--job-status-space) * 1.5);
    border: 1px solid var(--job-status-border);
    border-top: 4px solid var(--_fg);
    border-radius: var(--job-status-radius);
    background: var(--job-status-surface);
  }
  header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--job-status-space);
  }
  .title {
    margin: 0;
    font-size: 1.25em;
    font-weight: 600;
  }
  button {
    margin-inline-start: auto;
    font: inherit;
    padding: 0.2em 0.75em;
    color: var(--job-status-failed-color);
    background: var(--job-status-surface);
    border: 1px solid currentColor;
    border-radius: var(--job-status-radius);
    cursor: pointer;
  }
  button[aria-disabled='true'] {
    cursor: progress;
  }
  .confirm {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--job-status-space);
    margin-inline-start: auto;
  }
  .confirm button {
    margin: 0;
  }
  .confirm .keep {
    color: var(--job-status-text);
  }
  p {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .muted,
  dt,
  .phase,
  .time-left,
  .relative {
    color: var(--job-status-muted);
  }
  dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.25em var(--job-status-space);
    margin: 0;
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  pre,
  .log {
    margin: 0;
    padding: var(--job-status-space);
    background: var(--job-status-idle-bg);
    border-radius: var(--job-status-radius);
    overflow: auto;
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.95em;
  }
  h3 {
    margin: 0;
    font-size: 1em;
  }
  .log {
    list-style: none;
    max-height: var(--job-status-log-max-height, 20rem);
  }
  .log li {
    display: flex;
    gap: var(--job-status-space);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .log time,
  .level {
    color: var(--job-status-muted);
    flex: none;
  }
  [data-level='warn'] .level {
    color: var(--job-status-warning-color);
  }
  [data-level='error'] .level {
    color: var(--job-status-failed-color);
  }
`;
