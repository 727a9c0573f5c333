import { defineElement } from '../../internal/define.js';
import { JobStatusElement } from './job-status.component.js';

export { JobStatusElement };

defineElement('job-status', JobStatusElement);

declare global {
  interface HTMLElementTagNameMap {
    'job-status': JobStatusElement;
  }
}
