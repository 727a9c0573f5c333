import { defineElement } from '../../internal/define.js';
import { JobStatusProviderElement } from './job-status-provider.component.js';

export { JobStatusProviderElement };

defineElement('job-status-provider', JobStatusProviderElement);

declare global {
  interface HTMLElementTagNameMap {
    'job-status-provider': JobStatusProviderElement;
  }
}
