import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import '@job-status/elements/job-trigger';
import '@job-status/elements/job-status';
import type { JobTriggerStrings } from '@job-status/elements';
import { JobStatusError } from '@job-status/elements/client';
import { files, job, labels, lifecycle, peerUnreachable, staleRunning } from './support/fixtures.js';
import { storyClient } from './support/story-client.js';
import type { Scenario } from './support/story-client.js';
import { noControl, themeArgType } from './support/arg-types.js';

/** The public properties of `<job-trigger>` that a story sets. */
interface JobTriggerArgs {
  kind: string | null;
  target: string | null;
  input: unknown;
  label: string | null;
  htmlFor: string | null;
  useForm: boolean;
  detailsHref: string | null;
  theme: 'light' | 'dark' | undefined;
  strings: Partial<JobTriggerStrings>;
}

/** A push that runs through and succeeds, a beat every 600 ms. */
const pushes: Scenario = () => ({ labels, scripts: { 'sync.push': lifecycle('success', { pace: 600 }) } });

const meta = {
  title: 'Elements/job-trigger',
  component: 'job-trigger',
  args: {
    kind: 'sync.push',
    target: 'peer-a',
    input: undefined,
    label: 'Push to peer-a',
    htmlFor: null,
    useForm: false,
    detailsHref: null,
    theme: undefined,
    strings: {},
  },
  argTypes: {
    ...noControl('baseUrl', 'client', 'busy', 'snapshot', 'formAssociated'),
    kind: { control: 'text' },
    target: { control: 'text' },
    input: { control: 'object' },
    label: { control: 'text' },
    htmlFor: { control: 'text' },
    useForm: { control: 'boolean' },
    detailsHref: { control: 'text' },
    theme: themeArgType,
    strings: { control: 'object' },
  },
  decorators: [(story) => html`<div style="max-width: 34rem">${story()}</div>`],
  render: (args, { id, parameters }) => html`<job-trigger
    .client=${storyClient(id, parameters.scenario as Scenario)}
    kind=${args.kind ?? nothing}
    target=${args.target ?? nothing}
    .input=${args.input}
    label=${args.label ?? nothing}
    for=${args.htmlFor ?? nothing}
    ?use-form=${args.useForm}
    details-href=${args.detailsHref ?? nothing}
    theme=${args.theme ?? nothing}
    .strings=${args.strings}
  >
    <button type="button">Push to peer-a</button>
  </job-trigger>`,
  parameters: { scenario: pushes },
} satisfies Meta<JobTriggerArgs>;

export default meta;
type Story = StoryObj<JobTriggerArgs>;

const button = (canvasElement: HTMLElement) => within(canvasElement).getByRole('button', { name: 'Push to peer-a' });

/** Idle: never run. The button is enabled; the tile beside it says so. */
export const Idle: Story = {};

/** Busy: a push is running (started here or by another admin): the button stays disabled and `aria-busy`. */
export const Busy: Story = {
  parameters: { scenario: () => ({ jobs: [job({ phase: 'Uploading records', progress: files(120) })] }) },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(button(canvasElement)).toBeDisabled());
  },
};

/** Busy, but updates cannot be had: the tile says "Reconnecting…" with the last update; the button stays disabled. */
export const Stale: Story = {
  name: 'Stale (reconnecting)',
  parameters: { scenario: staleRunning },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(button(canvasElement)).toBeDisabled());
    await waitFor(() => expect(canvasElement.querySelector('job-trigger')!.hasAttribute('stale')).toBe(true));
  },
};

/** Done: the last push succeeded; the button is enabled again. */
export const Done: Story = {
  parameters: {
    scenario: () => ({ jobs: [job({ state: 'success', progress: files(500), message: 'Pushed 500 files to peer-a.' })] }),
  },
};

/**
 * Idle → busy → done: the play function clicks the button. The tile shows `queued` at
 * once, then the push runs, and the button comes back when it has succeeded.
 */
export const ClickToRun: Story = {
  name: 'Click: idle → busy → done',
  play: async ({ canvasElement }) => {
    await userEvent.click(button(canvasElement));
    await waitFor(() => expect(button(canvasElement)).toBeDisabled());
    await expect(button(canvasElement)).toHaveAttribute('aria-busy', 'true');
  },
};

/** The server refused to start the job (here a 403): the tile shows it as failed, with what to do. */
export const Refused: Story = {
  name: 'Enqueue refused',
  parameters: {
    scenario: () => ({
      refuseEnqueue: new JobStatusError('http', 'You are signed in but not allowed to use jobs.', 403, 'forbidden'),
    }),
  },
  play: async ({ canvasElement }) => {
    await userEvent.click(button(canvasElement));
    await waitFor(() => expect(button(canvasElement)).toBeEnabled());
  },
};

/** The status shows in a `<job-status>` elsewhere on the page, named by `for`. */
export const WithSeparateTile: Story = {
  name: 'With a separate tile (for)',
  args: { htmlFor: 'peer-a-status' },
  render: (args, { id, parameters }) => {
    const client = storyClient(id, parameters.scenario as Scenario);
    return html`<div style="display: grid; gap: 1rem">
      <div style="display: flex; gap: 0.5rem; align-items: center">
        <strong>peer-a</strong>
        <job-trigger .client=${client} kind=${args.kind ?? nothing} target=${args.target ?? nothing} for=${args.htmlFor ?? nothing}>
          <button type="button">Push to peer-a</button>
        </job-trigger>
      </div>
      <job-status id="peer-a-status" .client=${client} kind=${args.kind ?? nothing} target=${args.target ?? nothing}></job-status>
    </div>`;
  },
  parameters: {
    scenario: () => ({
      ...pushes(),
      jobs: [job({ state: 'failed', progress: files(320), error: peerUnreachable() })],
    }),
  },
};

/** `use-form`: the form's fields become the job's input; the browser validates first. */
export const FormMode: Story = {
  name: 'Form mode (use-form)',
  args: { target: 'peer-b', label: 'Push to peer-b', useForm: true },
  render: (args, { id, parameters }) => html`<form style="display: grid; gap: 0.5rem" @submit=${(e: Event) => e.preventDefault()}>
    <label><input type="checkbox" name="verify" checked /> Verify checksums after the push</label>
    <job-trigger
      .client=${storyClient(id, parameters.scenario as Scenario)}
      kind=${args.kind ?? nothing}
      target=${args.target ?? nothing}
      label=${args.label ?? nothing}
      ?use-form=${args.useForm}
    >
      <button type="submit">Push to peer-b</button>
    </job-trigger>
  </form>`,
  parameters: { scenario: () => ({ labels, scripts: { 'sync.push': lifecycle('warning', { pace: 600, peer: 'peer-b' }) } }) },
};
