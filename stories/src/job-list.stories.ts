import type { Meta, StoryObj } from '@storybook/web-components-vite';
import type { JobState, ListSort } from '@job-status/protocol';
import { html, nothing } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '@job-status/elements/job-list';
import type { JobListStrings } from '@job-status/elements';
import { JobStatusError } from '@job-status/elements/client';
import { history, job, labels, lifecycle, staleConnection } from './support/fixtures.js';
import { storyClient } from './support/story-client.js';
import type { Scenario } from './support/story-client.js';
import { noControl, themeArgType } from './support/arg-types.js';

/** The public properties of `<job-list>` that a story sets. */
interface JobListArgs {
  state: JobState | null;
  kind: string | null;
  target: string | null;
  sort: ListSort | null;
  pageSize: number;
  refreshInterval: number;
  detailHref: string | null;
  paused: boolean;
  theme: 'light' | 'dark' | undefined;
  strings: Partial<JobListStrings>;
}

const withHistory: Scenario = () => ({ jobs: history() });

const meta = {
  title: 'Elements/job-list',
  component: 'job-list',
  args: {
    state: null,
    kind: null,
    target: null,
    sort: null,
    pageSize: 10,
    refreshInterval: 5000,
    detailHref: '#/admin/jobs/{id}',
    paused: false,
    theme: undefined,
    strings: {},
  },
  argTypes: {
    ...noControl('baseUrl', 'client', 'jobs'),
    state: { control: 'select', options: [null, 'queued', 'running', 'success', 'warning', 'failed', 'canceled'] },
    kind: { control: 'text' },
    target: { control: 'text' },
    sort: { control: 'select', options: [null, 'created_desc', 'created_asc', 'updated_desc'] },
    pageSize: { control: { type: 'number', min: 1, max: 100 } },
    refreshInterval: { control: { type: 'number', min: 0, step: 1000 } },
    detailHref: { control: 'text' },
    paused: { control: 'boolean' },
    theme: themeArgType,
    strings: { control: 'object' },
  },
  parameters: { scenario: withHistory },
  render: (args, { id, parameters }) => html`<job-list
    .client=${storyClient(id, parameters.scenario as Scenario)}
    state=${args.state ?? nothing}
    kind=${args.kind ?? nothing}
    target=${args.target ?? nothing}
    sort=${args.sort ?? nothing}
    page-size=${args.pageSize}
    refresh-interval=${args.refreshInterval}
    detail-href=${args.detailHref ?? nothing}
    ?paused=${args.paused}
    theme=${args.theme ?? nothing}
    .strings=${args.strings}
  ></job-list>`,
} satisfies Meta<JobListArgs>;

export default meta;
type Story = StoryObj<JobListArgs>;

/** No job has run yet (or none matches). */
export const Empty: Story = {
  parameters: { scenario: () => ({}) },
};

/** A page of ten jobs in every state, newest first, with a next page. */
export const PageOfJobs: Story = {
  name: 'A page of jobs',
};

/** Filtered to failures: the filter controls show the filter in use. */
export const Filtered: Story = {
  name: 'Filtered (state: failed)',
  args: { state: 'failed' },
};

/** The event stream is unavailable (here the server refuses it, as a proxy that blocks it would): the list says it is polling. */
export const Polling: Story = {
  name: 'Polling indicator',
  parameters: { scenario: () => ({ jobs: history(), connection: 'polling' }) },
  play: async ({ canvasElement }) => {
    const list = canvasElement.querySelector('job-list')!;
    await waitFor(() => expect(list.shadowRoot!.querySelector('[part="connection"]')).toHaveAttribute('data-connection', 'polling'));
  },
};

/**
 * The server cannot be reached any more: the stream dropped and the list's own refreshes
 * fail, so updates are stale: "Reconnecting…" with the time of the last page that loaded
 * in place of the indicator, and running durations stop. (The play function waits for
 * the first refresh, `refresh-interval` 2 s, to fail.)
 */
export const Reconnecting: Story = {
  name: 'Stale (reconnecting)',
  args: { refreshInterval: 2000 },
  parameters: {
    scenario: () => ({
      jobs: history(),
      ...staleConnection(),
    }),
  },
  play: async ({ canvasElement }) => {
    const list = canvasElement.querySelector('job-list')!;
    await waitFor(() => expect(list.shadowRoot!.querySelector('[part="stale"]')).toHaveTextContent('Reconnecting…'), { timeout: 6000 });
  },
};

/**
 * The client was closed (`close()`): the list says Offline, and its own page still
 * loads. A client the server refused (401/403) says Offline too; a browser that goes
 * offline shows as stale.
 */
export const Offline: Story = {
  name: 'Offline indicator',
  parameters: { scenario: () => ({ jobs: history(), connection: 'offline' }) },
  play: async ({ canvasElement }) => {
    const list = canvasElement.querySelector('job-list')!;
    await waitFor(() => expect(list.shadowRoot!.querySelector('[part="connection"]')).toHaveAttribute('data-connection', 'offline'));
  },
};

/** The page of jobs could not be fetched: the list says so and that it retries. */
export const LoadFailed: Story = {
  name: 'Could not load',
  parameters: {
    scenario: () => ({ refuseList: new JobStatusError('network', 'Failed to fetch') }),
  },
};

const arrival = (n: number, after: number, target: string) => ({
  after,
  job: job({ n, state: 'queued', target, label: labels['sync.push'](target), actor: 'grace@example.com' }),
  script: lifecycle('success', { pace: 800, peer: target }),
});

/** Jobs run and new ones arrive while the list is open; busy rows update in place. */
export const Live: Story = {
  args: { refreshInterval: 2000 },
  parameters: {
    scenario: () => {
      const jobs = history();
      return {
        jobs,
        playing: { [jobs[0]!.job_id]: lifecycle('success', { pace: 900 }).slice(3) },
        arrivals: [arrival(900, 1500, 'peer-d'), arrival(901, 6000, 'peer-e')],
      };
    },
  },
};

/**
 * Paused ("Pause live updates" pressed, or the `paused` attribute): no row moves; new
 * jobs are counted on a "N new jobs" button instead.
 */
export const PausedWithNewJobs: Story = {
  name: 'Paused, with new jobs',
  args: { paused: true, refreshInterval: 1000 },
  parameters: {
    scenario: () => ({ jobs: history(), arrivals: [arrival(902, 100, 'peer-d'), arrival(903, 200, 'peer-e')] }),
  },
  play: async ({ canvasElement }) => {
    const list = canvasElement.querySelector('job-list')!;
    const badge = () => list.shadowRoot!.querySelector('[part="new-jobs"]');
    await waitFor(() => expect(badge()).toHaveTextContent('2 new jobs'), { timeout: 5000 });
  },
};

/** Oldest first (`sort="created_asc"`), five to a page. */
export const Sorted: Story = {
  name: 'Sorted oldest first',
  args: { sort: 'created_asc', pageSize: 5 },
};
