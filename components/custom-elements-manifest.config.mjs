import { generateJsxTypes } from '@wc-toolkit/jsx-types';
import { generateVuejsTypes } from 'custom-element-vuejs-integration';

/**
 * `npm run analyze -w @job-status/elements`: writes `dist/custom-elements.json`, the manifest
 * Storybook, IDEs and the docs read. Everything in it comes from the JSDoc on the element
 * classes (`@summary`, `@slot`, `@csspart`, `@cssproperty`, `@fires`, `@attr`) and their
 * Lit properties, so it cannot drift from the code. From the manifest, two generators of
 * the custom-elements-manifest ecosystem write the framework typings that ship:
 * `dist/react.d.ts` (JSX `IntrinsicElements`) and `dist/vue.d.ts` (`GlobalComponents`).
 */
export default {
  globs: [
    'src/elements/**/*.component.ts',
    // The registering modules: each `customElements.define` becomes a definition export.
    'src/elements/*/*.ts',
    'src/elements/events.ts',
    'src/internal/client-element.ts',
  ],
  exclude: ['src/**/*.test.ts', 'src/client/**', 'src/elements/*/*.styles.ts', 'src/elements/*/*.strings.ts'],
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
    {
      // The analyzer reads `src/**/*.ts`; the manifest names the published `dist/**/*.js`
      // (the npm build keeps one file per source module), so tools that follow a path find it.
      name: 'job-status-published-paths',
      packageLinkPhase({ customElementsManifest }) {
        const published = (path) => path?.replace(/^src\/(.*)\.ts$/, 'dist/$1.js');
        for (const mod of customElementsManifest.modules) {
          mod.path = published(mod.path);
          for (const item of [...(mod.declarations ?? []), ...(mod.exports ?? [])]) {
            for (const ref of [item.declaration, item.superclass, item.inheritedFrom]) {
              if (ref?.module) ref.module = published(ref.module).replace(/^\/?/, '');
            }
            for (const member of [...(item.members ?? []), ...(item.attributes ?? []), ...(item.events ?? [])]) {
              if (member.inheritedFrom?.module) member.inheritedFrom.module = published(member.inheritedFrom.module);
            }
          }
        }
      },
    },
    {
      // `defineElement()` wraps `customElements.define`, so the analyzer cannot see the
      // definitions: each registering module re-exports its class and defines its tag.
      name: 'job-status-definitions',
      packageLinkPhase({ customElementsManifest }) {
        const elements = new Map();
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            if (declaration.tagName) elements.set(declaration.name, { tagName: declaration.tagName, module: mod.path });
            // A reflected, read-only attribute documented with `@attr` and its property name each other.
            for (const attribute of declaration.attributes ?? []) {
              const field = declaration.members?.find((member) => member.name === attribute.name && member.kind === 'field');
              if (attribute.fieldName || !field) continue;
              attribute.fieldName = field.name;
              field.attribute = attribute.name;
            }
          }
        }
        for (const mod of customElementsManifest.modules) {
          if (mod.declarations?.length) continue;
          for (const item of [...(mod.exports ?? [])]) {
            const element = elements.get(item.name);
            if (item.kind !== 'js' || !element) continue;
            item.declaration = { name: item.name, module: element.module };
            mod.exports.push({ kind: 'custom-element-definition', name: element.tagName, declaration: { name: item.name, module: element.module } });
          }
        }
      },
    },
    {
      // The framework typings, generated from the finished manifest. The generators import
      // the element classes from the package entry (`dist/index.js`) but not our event
      // classes, so their copy of the manifest names each event type by that module.
      name: 'job-status-typings',
      packageLinkPhase({ customElementsManifest }) {
        const manifest = structuredClone(customElementsManifest);
        for (const mod of manifest.modules) {
          for (const event of (mod.declarations ?? []).flatMap((declaration) => declaration.events ?? [])) {
            if (/^[A-Z]\w*Event$/.test(event.type?.text ?? '')) event.type.text = `import('./index.js').${event.type.text}`;
          }
        }
        const options = { outdir: 'dist', globalTypePath: './index.js', hideLogs: true };
        generateJsxTypes(structuredClone(manifest), { ...options, fileName: 'jsx.d.ts' });
        generateVuejsTypes(manifest, { ...options, fileName: 'vue.d.ts' });
      },
    },
  ],
};
