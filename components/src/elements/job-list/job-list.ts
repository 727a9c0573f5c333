import { defineElement } from '../../internal/define.js';
import { JobListElement } from './job-list.component.js';

export { JobListElement };

defineElement('job-list', JobListElement);

declare global {
  interface HTMLElementTagNameMap {
    'job-list': JobListElement;
  }
}
