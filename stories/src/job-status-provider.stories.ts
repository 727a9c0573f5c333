import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import '@job-status/elements/all';
import { files, history, job, labels, lifecycle } from './support/fixtures.js';
import { storyClient } from './support/story-client.js';
import type { Scenario } from './support/story-client.js';
import { noControl } from './support/arg-types.js';

/** The public properties of `<job-status-provider>` that a story sets. */
interface ProviderArgs {
  baseUrl: string | null;
  interval: number | null;
}

const meta = {
  title: 'Elements/job-status-provider',
  component: 'job-status-provider',
  args: { baseUrl: null, interval: null },
  argTypes: {
    ...noControl('baseUrl', 'client'),
    interval: { control: { type: 'number', min: 2000, max: 60000, step: 1000 } },
  },
} satisfies Meta<ProviderArgs>;

export default meta;
type Story = StoryObj<ProviderArgs>;

/**
 * One client for the whole page: two triggers and a dashboard inside one provider share
 * it (here the story's in-memory client, set through the provider's `client` property;
 * a page sets `base-url` instead). None of the elements inside has a client of its own.
 */
export const SharedClient: Story = {
  name: 'One client for a page',
  parameters: {
    scenario: (() => ({
      jobs: [job({ n: 1, phase: 'Uploading records', progress: files(120) }), ...history().slice(2, 8)],
      playing: { [job().job_id]: lifecycle('success', { pace: 900 }).slice(4) },
      labels,
      scripts: { 'sync.pull': (target) => lifecycle('success', { pace: 700, peer: target ?? 'peer-b' }) },
    })) satisfies Scenario,
  },
  render: (args, { id, parameters }) => html`<job-status-provider
    .client=${storyClient(id, parameters.scenario as Scenario)}
    base-url=${args.baseUrl ?? nothing}
    interval=${args.interval ?? nothing}
  >
    <div style="display: grid; gap: 1rem">
      <div style="display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem">
        <job-trigger kind="sync.push" target="peer-a" label="Push to peer-a"><button type="button">Push to peer-a</button></job-trigger>
        <job-trigger kind="sync.pull" target="peer-b" label="Pull from peer-b"><button type="button">Pull from peer-b</button></job-trigger>
      </div>
      <job-list page-size="5" refresh-interval="3000"></job-list>
    </div>
  </job-status-provider>`,
};
