import { css, unsafeCSS } from 'lit';

/** The states that have their own colour pair (`--job-status-<state>-color` / `-bg`). */
export const TOKEN_STATES = ['idle', 'queued', 'running', 'success', 'warning', 'failed', 'canceled'] as const;

// Each pair was checked for at least 4.5:1 (text on badge, text on surface) in its theme.
const light: Record<string, string> = {
  surface: '#fff',
  text: '#1f2328',
  muted: '#59636e',
  border: '#8c959f',
  track: '#e6eaef',
  link: '#0a5bb5',
  focus: '#0a5bb5',
  'idle-color': '#59636e', 'idle-bg': '#eff2f5',
  'queued-color': '#6639ba', 'queued-bg': '#f3effd',
  'running-color': '#0a5bb5', 'running-bg': '#e8f1fc',
  'success-color': '#157030', 'success-bg': '#e7f5ea',
  'warning-color': '#8a4b00', 'warning-bg': '#fff4dc',
  'failed-color': '#b8231b', 'failed-bg': '#fdecea',
  'canceled-color': '#59636e', 'canceled-bg': '#eff2f5',
};
const dark: Record<string, string> = {
  surface: '#161b22',
  text: '#e6edf3',
  muted: '#9aa5b1',
  border: '#6e7681',
  track: '#2a313a',
  link: '#72b6ff',
  focus: '#72b6ff',
  'idle-color': '#9aa5b1', 'idle-bg': '#262c34',
  'queued-color': '#c4a7ff', 'queued-bg': '#2a2140',
  'running-color': '#72b6ff', 'running-bg': '#102a45',
  'success-color': '#5fd07a', 'success-bg': '#12301d',
  'warning-color': '#f0b43c', 'warning-bg': '#35270a',
  'failed-color': '#ff8a80', 'failed-bg': '#3d1614',
  'canceled-color': '#9aa5b1', 'canceled-bg': '#262c34',
};
const shape: Record<string, string> = {
  'font-family': 'inherit',
  'font-size': '0.875rem',
  radius: '0.375rem',
  space: '0.5rem',
};
const declare = (tokens: Record<string, string>) =>
  unsafeCSS(Object.entries(tokens).map(([name, value]) => `--job-status-${name}:${value};`).join(''));

/** Every token name, e.g. `--job-status-failed-color`. */
export const TOKEN_NAMES: readonly string[] = Object.keys({ ...light, ...shape }).map((name) => `--job-status-${name}`);

/**
 * The design tokens, defaulted on `:host`: light, dark when the system prefers it, and
 * either one forced by `theme="light"` or `theme="dark"`. A page overrides any of them on
 * the element (`job-status { --job-status-radius: 0 }`).
 */
export const tokenStyles = css`
  :host {
    ${declare(shape)}
    ${declare(light)}
    color-scheme: light;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${declare(dark)}
      color-scheme: dark;
    }
  }
  :host([theme='dark']) {
    ${declare(dark)}
    color-scheme: dark;
  }
`;

/**
 * For an element nested in another's shadow root (the tile inside `<job-trigger>`): take
 * every token from the outer element, so the page styles and themes both through it.
 */
export const inheritTokens = (selector: string) =>
  unsafeCSS(`${selector}{${TOKEN_NAMES.map((name) => `${name}:inherit;`).join('')}color-scheme:inherit}`);
