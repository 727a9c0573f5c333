import type { StorybookConfig } from '@storybook/web-components-vite';
import { defaultClientConditions, mergeConfig } from 'vite';

/**
 * Storybook for the job-status elements. Stories import the elements from their
 * TypeScript sources (the `@job-status/source` export condition), so what a designer reviews is
 * what the code says right now, with no build of the elements first.
 */
const config: StorybookConfig = {
  framework: { name: '@storybook/web-components-vite', options: {} },
  stories: ['../src/**/*.mdx', '../src/**/*.stories.ts'],
  addons: ['@storybook/addon-docs', '@storybook/addon-a11y'],
  // No network here: no telemetry, no "what's new" fetches.
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  async viteFinal(vite) {
    return mergeConfig(vite, {
      resolve: { conditions: ['@job-status/source', ...defaultClientConditions] },
      // Storybook's own docs renderer is past Vite's 500 kB warning; ours are small.
      build: { chunkSizeWarningLimit: 1500 },
      // The elements use legacy decorators with `useDefineForClassFields: false` (root
      // tsconfig.json). Vite 8 compiles TypeScript with Oxc, which reads that tsconfig;
      // saying it here as well keeps Lit's reactive properties working if it cannot.
      oxc: {
        decorator: { legacy: true },
        assumptions: { setPublicClassFields: true },
        typescript: { removeClassFieldsWithoutInitializer: true },
      },
    });
  },
};

export default config;
