import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import { expect, userEvent, waitFor } from 'storybook/test';
import '@job-status/elements/job-detail';
import type { JobDetailStrings } from '@job-status/elements';
import { files, interrupted, job, jobId, peerUnreachable, pushLog, staleConnection } from './support/fixtures.js';
import type { ScriptLine, ScriptStep } from './support/job-history.js';
import { storyClient } from './support/story-client.js';
import type { Scenario } from './support/story-client.js';
import { noControl, themeArgType } from './support/arg-types.js';

/** The public properties of `<job-detail>` that a story sets. */
interface JobDetailArgs {
  jobId: string | null;
  headingLevel: number;
  theme: 'light' | 'dark' | undefined;
  strings: Partial<JobDetailStrings>;
}

const meta = {
  title: 'Elements/job-detail',
  component: 'job-detail',
  args: { jobId: jobId(1), headingLevel: 2, theme: undefined, strings: {} },
  argTypes: {
    ...noControl('baseUrl', 'client', 'state', 'snapshot', 'logLines'),
    jobId: { control: 'text' },
    headingLevel: { control: { type: 'number', min: 1, max: 6 } },
    theme: themeArgType,
    strings: { control: 'object' },
  },
  decorators: [(story) => html`<div style="max-width: 44rem">${story()}</div>`],
  render: (args, { id, parameters }) => html`<job-detail
    .client=${storyClient(id, parameters.scenario as Scenario)}
    job-id=${args.jobId ?? nothing}
    heading-level=${args.headingLevel}
    theme=${args.theme ?? nothing}
    .strings=${args.strings}
  ></job-detail>`,
} satisfies Meta<JobDetailArgs>;

export default meta;
type Story = StoryObj<JobDetailArgs>;

const first = jobId(1);

/** Upload lines, one file at a time, as a busy job writes them. */
const uploads = (from: number, to: number): ScriptLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => {
    const n = from + i;
    return ['info', `Uploaded /archive/2025/Q3/invoices/INV-2025-${String(n).padStart(5, '0')}.pdf (${(40 + ((n * 37) % 900)).toLocaleString('en')} kB)`];
  });

/** Every 600 ms: ten more files and a line for each; a warning now and then; success at the end. */
function growingLog(): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let done = 130; done <= 500; done += 10) {
    const log = uploads(done - 9, done);
    if (done % 120 === 0) log.push(['warn', `Slow answer from peer-a (${done * 3} ms); retrying once`]);
    steps.push({ after: 600, set: { progress: files(done) }, log });
  }
  steps.push({ after: 600, set: { phase: 'Verifying' }, log: [['info', 'Verifying checksums']] });
  steps.push({ after: 900, set: { state: 'success', message: 'Pushed 500 files to peer-a.', result: { files: 500, bytes: 218_734_112 } }, log: [['info', 'Done']] });
  return steps;
}

/** Waiting for a worker: "Cancel job" is already offered. */
export const Queued: Story = {
  parameters: { scenario: () => ({ jobs: [job({ state: 'queued' })] }) },
};

/** Running: progress moves, the duration ticks, and the log tail only ever appends. */
export const RunningWithGrowingLog: Story = {
  name: 'Running, with a growing log',
  parameters: {
    scenario: () => ({
      jobs: [job({ phase: 'Uploading records', progress: files(120), has_logs: true })],
      logs: { [first]: [['info', 'Connecting to peer-a'], ['info', 'Uploading 500 files'], ...uploads(111, 120)] },
      playing: { [first]: growingLog() },
    }),
  },
};

/**
 * Running, but updates cannot be had: "Reconnecting…" with the time of the last update
 * under the title, and the duration stopped at that time.
 */
export const Stale: Story = {
  name: 'Stale (reconnecting)',
  parameters: {
    scenario: () => ({
      jobs: [job({ phase: 'Uploading records', progress: files(120), has_logs: true })],
      logs: { [first]: [['info', 'Connecting to peer-a'], ['info', 'Uploading 500 files'], ...uploads(111, 120)] },
      ...staleConnection(),
    }),
  },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(canvasElement.querySelector('job-detail')!.hasAttribute('stale')).toBe(true));
  },
};

/** Finished: outcome, times, duration, the result as JSON, and the whole log. */
export const Finished: Story = {
  parameters: {
    scenario: () => ({
      jobs: [job({ state: 'success', progress: files(500), message: 'Pushed 500 files to peer-a.', result: { files: 500, bytes: 218_734_112 }, has_logs: true })],
      logs: { [first]: pushLog() },
    }),
  },
};

/** Finished, with something to look at. */
export const FinishedWithWarnings: Story = {
  name: 'Finished with warnings',
  parameters: {
    scenario: () => ({
      jobs: [
        job({
          state: 'warning',
          progress: files(497),
          message: "Pushed 497 of 500 files; 3 files kept peer-a's newer copy.",
          result: { files: 497, skipped: 3 },
          has_logs: true,
        }),
      ],
      logs: { [first]: [...pushLog().slice(0, 4), ['warn', '3 files changed on peer-a since the last sync; kept its copies'], ['warn', 'Finished with 3 warnings']] },
    }),
  },
};

/** Failed: the error, its code and what to do next; the log ends with the error. */
export const Failed: Story = {
  parameters: {
    scenario: () => ({
      jobs: [job({ state: 'failed', progress: files(320), error: peerUnreachable(), has_logs: true })],
      logs: {
        [first]: [
          ...pushLog().slice(0, 4),
          ['warn', 'Slow answer from peer-a (4,800 ms); retrying once'],
          ['error', peerUnreachable().message],
        ],
      },
    }),
  },
};

/** Interrupted by a server restart: a failure with code `interrupted`. */
export const Interrupted: Story = {
  parameters: {
    scenario: () => ({
      jobs: [job({ state: 'failed', progress: files(260), error: interrupted, has_logs: true })],
      logs: { [first]: pushLog().slice(0, 4) },
    }),
  },
};

/** Canceled by an admin. */
export const Canceled: Story = {
  parameters: {
    scenario: () => ({
      jobs: [job({ state: 'canceled', progress: files(200), message: 'Canceled by grace@example.com.', has_logs: true })],
      logs: { [first]: [...pushLog().slice(0, 3), ['warn', 'Canceled by grace@example.com']] },
    }),
  },
};

/** The job was deleted or expired from history. */
export const JobNoLongerExists: Story = {
  name: 'Job no longer exists',
  args: { jobId: jobId(404) },
  parameters: { scenario: () => ({}) },
};

/** The play function presses "Cancel job", then confirms: the job ends as canceled and the button goes. */
export const CancelRunningJob: Story = {
  name: 'Cancel a running job',
  parameters: RunningWithGrowingLog.parameters,
  play: async ({ canvasElement }) => {
    const detail = canvasElement.querySelector('job-detail')!;
    const cancel = () => detail.shadowRoot!.querySelector<HTMLButtonElement>('[part="cancel"]');
    await waitFor(() => expect(cancel()).toBeTruthy());
    await userEvent.click(cancel()!);
    const yes = () => [...detail.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part="cancel-confirm"] button')].find((b) => b.textContent?.trim() === 'Yes, cancel it');
    await waitFor(() => expect(yes()).toBeTruthy());
    await userEvent.click(yes()!);
    await waitFor(() => expect(detail.getAttribute('state')).toBe('canceled'));
  },
};
