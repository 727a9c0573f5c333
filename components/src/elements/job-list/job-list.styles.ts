import { css } from 'lit';

/** Layout of `<job-list>`. */
export const jobListStyles = css`
  :host {
    container-type: inline-size;
  }
  .base {
    display: grid;
    gap: var(--job-status-space);
    padding: var(--job-status-space);
    border-radius: var(--job-status-radius);
    background: var(--job-status-surface);
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: end;
    gap: var(--job-status-space) calc(var(--job-status-space) * 2);
  }
  .toolbar label {
    display: grid;
    gap: 0.15em;
    color: var(--job-status-muted);
  }
  input,
  select,
  button {
    font: inherit;
    color: var(--job-status-text);
    background: var(--job-status-surface);
    border: 1px solid var(--job-status-border);
    border-radius: var(--job-status-radius);
    padding: 0.2em 0.5em;
  }
  button {
    cursor: pointer;
  }
  button[aria-disabled='true'] {
    cursor: default;
    color: var(--job-status-muted);
  }
  button[aria-pressed='true'] {
    background: var(--job-status-running-bg);
    border-color: var(--job-status-running-color);
  }
  .status {
    display: flex;
    align-items: center;
    gap: var(--job-status-space);
    margin-inline-start: auto;
  }
  .status .stale {
    margin: 0;
  }
  .connection {
    display: inline-flex;
    align-items: center;
    gap: 0.3em;
    color: var(--job-status-muted);
  }
  .dot {
    width: 0.6em;
    height: 0.6em;
    border-radius: 50%;
    background: var(--_fg);
  }
  .connection[data-connection='polling'] .dot {
    border-radius: 0;
  }
  .connection[data-connection='reconnecting'] .dot,
  .connection[data-connection='offline'] .dot {
    background: none;
    border: 2px solid var(--_fg);
  }
  .refreshing {
    width: 1em;
    height: 1em;
    color: var(--job-status-muted);
    visibility: hidden;
  }
  .refreshing.on {
    visibility: visible;
  }
  /* Stays in view while the admin scrolls the page: that is when new jobs are held back. */
  .new-jobs {
    position: sticky;
    top: var(--job-status-space);
    z-index: 2;
    justify-self: center;
    box-shadow: 0 2px 6px rgb(0 0 0 / 0.2);
    border-radius: 999px;
    font-weight: 600;
    color: var(--job-status-running-color);
    background: var(--job-status-running-bg);
    border-color: var(--job-status-running-color);
  }
  .scroller {
    overflow: auto;
    max-height: var(--job-status-list-max-height, none);
    overflow-anchor: none;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    background: var(--job-status-surface);
  }
  th,
  td {
    padding: calc(var(--job-status-space) * 0.75) var(--job-status-space);
    text-align: start;
    vertical-align: middle;
    border-bottom: 1px solid var(--job-status-track);
  }
  thead th {
    position: sticky;
    top: 0;
    background: var(--job-status-surface);
    color: var(--job-status-muted);
    font-weight: 600;
    border-bottom-color: var(--job-status-border);
  }
  tbody th {
    font-weight: 600;
  }
  /* Short values stay on one line; the label may wrap, the scroller takes the rest. */
  td,
  thead th {
    white-space: nowrap;
  }
  td.muted {
    color: var(--job-status-muted);
  }
  /* Progress takes a fixed share: its words go under the bar, so the Action column keeps its width. */
  .progress-cell {
    width: 11rem;
    white-space: normal;
  }
  .progress-cell .progress {
    flex-wrap: wrap;
    gap: 0 var(--job-status-space);
  }
  .progress .bar {
    min-width: 5rem;
  }
  /* The label is what the admin reads first: it keeps its words on one line where it can. */
  tbody th {
    min-width: 10rem;
  }
  .why,
  .time-left,
  .relative {
    display: block;
    color: var(--job-status-muted);
    font-size: 0.9em;
  }
  .why {
    color: var(--job-status-text);
    overflow-wrap: anywhere;
  }

  /* A phone: each row is a card, every cell named, nothing hidden in a sideways scroller. */
  @container (max-width: 40rem) {
    table,
    tbody,
    tr,
    th,
    td {
      display: block;
    }
    thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
    }
    tbody tr {
      padding: calc(var(--job-status-space) * 0.75) 0;
      border-bottom: 1px solid var(--job-status-border);
      border-inline-start: 4px solid var(--_fg);
      padding-inline-start: var(--job-status-space);
    }
    tbody th,
    td {
      position: relative;
      padding: 0.15em 0;
      padding-inline-start: 7.5rem;
      border: none;
      white-space: normal;
      min-width: 0;
      width: auto;
    }
    .progress-text {
      white-space: normal;
    }
    tbody th::before,
    td::before {
      content: attr(data-label);
      position: absolute;
      inset-inline-start: 0;
      width: 7rem;
      color: var(--job-status-muted);
      font-weight: 400;
    }
  }
  nav {
    display: flex;
    align-items: center;
    gap: var(--job-status-space);
  }
  p {
    margin: 0;
  }
  .error {
    color: var(--job-status-failed-color);
  }
`;
