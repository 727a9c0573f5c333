import { css } from 'lit';
import { inheritTokens } from '../../styles/tokens.styles.js';

/** Layout of `<job-trigger>`: the button, then its own tile when it has none paired. */
export const jobTriggerStyles = [
  css`
    :host {
      display: grid;
      gap: var(--job-status-space);
      justify-items: start;
    }
    job-status {
      justify-self: stretch;
    }
  `,
  css`
    ${inheritTokens('job-status')}
  `,
];
