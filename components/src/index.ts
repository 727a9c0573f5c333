// The package entry: classes, events, strings, context and controllers. Importing it
// registers nothing; import `@job-status/elements/all` (or one element's module, such as
// `@job-status/elements/job-status`) to register the tags.
export { JobStatusElement } from './elements/job-status/job-status.component.js';
export { JobTriggerElement } from './elements/job-trigger/job-trigger.component.js';
export { JobStatusProviderElement } from './elements/job-status-provider/job-status-provider.component.js';
export { JobListElement } from './elements/job-list/job-list.component.js';
export { JobDetailElement } from './elements/job-detail/job-detail.component.js';
export { JobStatusChangeEvent, JobStatusSettledEvent } from './elements/events.js';
export { jobStatusStrings } from './internal/strings.js';
export type { JobStatusStrings } from './internal/strings.js';
export { jobTriggerStrings } from './elements/job-trigger/job-trigger.strings.js';
export type { JobTriggerStrings } from './elements/job-trigger/job-trigger.strings.js';
export { jobListStrings } from './elements/job-list/job-list.strings.js';
export type { JobListStrings } from './elements/job-list/job-list.strings.js';
export { jobDetailStrings } from './elements/job-detail/job-detail.strings.js';
export type { JobDetailStrings } from './elements/job-detail/job-detail.strings.js';
export { jobStatusClientContext } from './internal/context.js';
export { JobController } from './controllers/job-controller.js';
export type { JobSubject, TileState } from './controllers/job-controller.js';
export { JobListController } from './controllers/job-list-controller.js';
export type { JobListControllerOptions, JobListFilters } from './controllers/job-list-controller.js';
export { LogTailController } from './controllers/log-tail-controller.js';
export { ConnectionController } from './controllers/connection-controller.js';
export { ClockController } from './controllers/clock-controller.js';
export { createJobStatusClient, JobStatusError } from './client/index.js';
export type { ConnectionState, JobStatusClient, JobStatusClientOptions } from './client/index.js';
