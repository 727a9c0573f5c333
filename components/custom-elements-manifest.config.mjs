/**
 * `npm run analyze -w @job-status/elements`: writes `dist/custom-elements.json`, the manifest
 * Storybook, IDEs and the docs read. Everything in it comes from the JSDoc on the element
 * classes (`@summary`, `@slot`, `@csspart`, `@cssproperty`, `@fires`, `@attr`) and their
 * Lit properties, so it cannot drift from the code.
 */
export default {
  globs: ['src/elements/**/*.component.ts', 'src/elements/events.ts', 'src/internal/client-element.ts'],
  exclude: ['src/**/*.test.ts', 'src/client/**'],
  outdir: 'dist',
  litelement: true,
  packagejson: false,
  plugins: [
    {
      // Private, protected and `@internal` members stay out of the manifest, and the base
      // class (analysed only so its properties are inherited) is no element of its own.
      name: 'job-status-public-only',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            if (declaration.customElement && !declaration.tagName) delete declaration.customElement;
            declaration.members = declaration.members?.filter(
              (member) =>
                !member.name.startsWith('#') &&
                !/@internal/.test(member.description ?? '') &&
                member.privacy !== 'private' &&
                member.privacy !== 'protected',
            );
          }
        }
      },
    },
  ],
};
