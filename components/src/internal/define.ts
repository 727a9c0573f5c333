import { ContextRoot } from '@lit/context';

const ROOT = Symbol.for('job-status/context-root');

/**
 * Registers `tag` once. A second registration with the same class is a no-op (two
 * bundles that both register); with another class it warns instead of throwing, so one
 * stray copy of the package does not break the page.
 *
 * It also attaches one context root to the document, so a `<job-status-provider>`
 * upgraded after the tiles inside it still reaches them.
 */
export function defineElement(tag: string, element: CustomElementConstructor): void {
  const doc = globalThis.document as (Document & { [ROOT]?: ContextRoot }) | undefined;
  if (doc && !doc[ROOT]) (doc[ROOT] = new ContextRoot()).attach(doc.documentElement);
  const existing = customElements.get(tag);
  if (!existing) customElements.define(tag, element);
  else if (existing !== element) console.warn(`job-status: <${tag}> is already defined by another copy of the package; keeping the first`);
}
