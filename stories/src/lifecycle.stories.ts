import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import '@job-status/elements/job-status-provider';
import '@job-status/elements/job-trigger';
import { labels, lifecycle } from './support/fixtures.js';
import type { Outcome } from './support/fixtures.js';
import { storyClient } from './support/story-client.js';
import type { Scenario } from './support/story-client.js';

/** The story's own knobs: where the job ends, and how fast it gets there. */
interface LifecycleArgs {
  outcome: Outcome;
  pace: number;
}

const PEERS: Record<Outcome, string> = { success: 'peer-a', warning: 'peer-b', failed: 'peer-c', canceled: 'peer-d' };
const OUTCOMES = Object.keys(PEERS) as Outcome[];

/** Each target plays to its own outcome, so several tiles can run side by side. */
const scenario = (pace: number, outcome?: Outcome): Scenario => () => ({
  labels,
  scripts: {
    'sync.push': (target) => {
      const ending = outcome ?? OUTCOMES.find((o) => PEERS[o] === target) ?? 'success';
      return lifecycle(ending, { pace, peer: target ?? 'peer-a' });
    },
  },
});

const run = (outcome: Outcome) => html`<job-trigger kind="sync.push" target=${PEERS[outcome]} label="Push to ${PEERS[outcome]}">
  <button type="button">Push to ${PEERS[outcome]}</button>
</job-trigger>`;

/**
 * A whole job, from the click to its end: `queued` at once, then `running` (connecting,
 * uploading 500 files, verifying), then the outcome. The play function presses the
 * button; press it again to replay once the job has ended.
 */
const meta = {
  title: 'Scenarios/Lifecycle',
  args: { outcome: 'success', pace: 700 },
  argTypes: {
    outcome: { control: 'inline-radio', options: OUTCOMES },
    pace: { control: { type: 'range', min: 100, max: 2000, step: 100 }, description: 'Milliseconds between beats.' },
  },
  decorators: [(story) => html`<div style="max-width: 34rem">${story()}</div>`],
  render: ({ outcome, pace }, { id }) =>
    html`<job-status-provider .client=${storyClient(id, scenario(pace, outcome), `${outcome} ${pace}`)}>${run(outcome)}</job-status-provider>`,
  play: async ({ canvasElement }) => {
    for (const button of within(canvasElement).getAllByRole('button')) await userEvent.click(button);
    await waitFor(() => expect(canvasElement.querySelector('job-trigger[busy]')).toBeTruthy());
  },
} satisfies Meta<LifecycleArgs>;

export default meta;
type Story = StoryObj<LifecycleArgs>;

/** Queued → running → succeeded. */
export const ToSuccess: Story = { name: 'Queued → succeeded', args: { outcome: 'success' } };

/** Queued → running → finished with warnings. */
export const ToWarning: Story = { name: 'Queued → finished with warnings', args: { outcome: 'warning' } };

/** Queued → running → failed, with the error and what to do next. */
export const ToFailed: Story = { name: 'Queued → failed', args: { outcome: 'failed' } };

/** Queued → running → canceled by another admin. */
export const ToCanceled: Story = { name: 'Queued → canceled', args: { outcome: 'canceled' } };

/** All four at once, side by side. */
export const AllOutcomes: Story = {
  name: 'All outcomes side by side',
  decorators: [(story) => html`<div style="max-width: 72rem">${story()}</div>`],
  render: ({ pace }, { id }) => html`<job-status-provider .client=${storyClient(id, scenario(pace), String(pace))}>
    <div style="display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; align-items: start">
      ${OUTCOMES.map(run)}
    </div>
  </job-status-provider>`,
};
