// Registers every element, the provider first, so the tiles inside it find it at once.
// This is the entry of the single-file bundle for a plain `<script type="module">`.
import './job-status-provider/job-status-provider.js';
import './job-status/job-status.js';
import './job-trigger/job-trigger.js';
import './job-list/job-list.js';
import './job-detail/job-detail.js';

export { JobStatusProviderElement } from './job-status-provider/job-status-provider.component.js';
export { JobStatusElement } from './job-status/job-status.component.js';
export { JobTriggerElement } from './job-trigger/job-trigger.component.js';
export { JobListElement } from './job-list/job-list.component.js';
export { JobDetailElement } from './job-detail/job-detail.component.js';
export { JobStatusChangeEvent, JobStatusSettledEvent } from './events.js';
export { createJobStatusClient, JobStatusError } from '../client/index.js';
