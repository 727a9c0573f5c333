import type { ArgTypes } from '@storybook/web-components-vite';

/** The `theme` property: follow the system (no attribute), or force light or dark. */
export const themeArgType: ArgTypes[string] = {
  control: 'inline-radio',
  options: ['system', 'light', 'dark'],
  mapping: { system: undefined },
};

/**
 * Members that are listed (from the manifest) but not set by a control: read-only ones,
 * and the connection settings, since every story hands the element its own client.
 */
export const noControl = (...names: string[]): ArgTypes =>
  Object.fromEntries(names.map((name) => [name, { control: false }]));
