import '../job-status/job-status.js';
import { defineElement } from '../../internal/define.js';
import { JobTriggerElement } from './job-trigger.component.js';

export { JobTriggerElement };

defineElement('job-trigger', JobTriggerElement);

declare global {
  interface HTMLElementTagNameMap {
    'job-trigger': JobTriggerElement;
  }
}
