import { defineElement } from '../../internal/define.js';
import { JobDetailElement } from './job-detail.component.js';

export { JobDetailElement };

defineElement('job-detail', JobDetailElement);

declare global {
  interface HTMLElementTagNameMap {
    'job-detail': JobDetailElement;
  }
}
