// The element tests' fixture: the test server's controls and the waits, shared with the
// client tests (one copy, in ../client), and what only element tests need.
export { hide, newTenant, release, serverUrl, uniqueTarget } from '../client/test-server.js';
export type { Tenant } from '../client/test-server.js';
export { waitFor, waitForAsync } from '../client/wait-for.js';

/** The visible text of an element's shadow root, whitespace collapsed. */
export const textOf = (root: Element | ShadowRoot | null | undefined): string =>
  (root?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** `querySelector` in an element's shadow root. */
export const inShadow = <E extends Element = HTMLElement>(host: Element, selector: string): E | null =>
  host.shadowRoot!.querySelector<E>(selector);
