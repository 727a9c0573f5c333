import type { Preview } from '@storybook/web-components-vite';
import { setCustomElementsManifest } from '@storybook/web-components-vite';
import { withActions } from 'storybook/actions/decorator';
import manifest from '@job-status/elements/custom-elements.json' with { type: 'json' };
import { closeStoryClients } from '../src/support/story-client.js';

// Controls and the docs pages come from the elements' own JSDoc, through the manifest
// that `npm run analyze -w @job-status/elements` writes (the `manifest` script runs it).
setCustomElementsManifest(manifest);

const preview: Preview = {
  tags: ['autodocs'],
  decorators: [withActions],
  parameters: {
    // The elements' own events, in the Actions panel.
    actions: { handles: ['job-status-change', 'job-status-settled'] },
    layout: 'padded',
    controls: { expanded: true, sort: 'requiredFirst' },
    // Every story is checked against axe in the a11y panel; a violation fails the story
    // in any runner that honours `a11y.test` (our own runner fails on it too).
    a11y: { test: 'error' },
    backgrounds: {
      options: {
        light: { name: 'Light page', value: '#f6f8fa' },
        dark: { name: 'Dark page', value: '#0d1117' },
      },
    },
    options: {
      storySort: {
        order: ['Introduction', 'Elements', ['job-status', 'job-trigger', 'job-list', 'job-detail', 'job-status-provider'], 'Scenarios'],
      },
    },
  },
  initialGlobals: { backgrounds: { value: 'light' } },
  // Each story's in-memory client stops its timers when the story goes away.
  beforeEach: ({ id }) => () => closeStoryClients(id),
};

export default preview;
