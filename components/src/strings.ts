// The elements' default copy without the elements: no Lit and no DOM, so a server (or a
// test) can render the same words the elements show, for instance as the fallback a page
// shows before the elements load or with JavaScript off.
export { jobStatusStrings } from './internal/strings.js';
export type { JobStatusStrings } from './internal/strings.js';
export { jobTriggerStrings } from './elements/job-trigger/job-trigger.strings.js';
export type { JobTriggerStrings } from './elements/job-trigger/job-trigger.strings.js';
export { jobListStrings } from './elements/job-list/job-list.strings.js';
export type { JobListStrings } from './elements/job-list/job-list.strings.js';
export { jobDetailStrings } from './elements/job-detail/job-detail.strings.js';
export type { JobDetailStrings } from './elements/job-detail/job-detail.strings.js';
