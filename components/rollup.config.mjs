import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';
import { minifyCss } from './scripts/minify-css.mjs';
import { sizeReport } from './scripts/size-report.mjs';

/**
 * Entry points: output name → source. Add element entries here; every entry is built
 * twice: for npm (`dist/`, dependencies external, readable) and self-contained
 * (`dist/bundled/`, dependencies inlined, minified), whose min+gzip size is printed.
 */
const entries = {
  'client/index': 'src/client/index.ts',
};

/**
 * The elements' entries (issue 4), built for npm only: the package entry (registers
 * nothing), every element's registering module, and all of them at once. Their sizes
 * come from the `standalone` files below.
 */
const elementEntries = {
  index: 'src/index.ts',
  strings: 'src/strings.ts',
  'elements/all': 'src/elements/all.ts',
  'elements/job-status/job-status': 'src/elements/job-status/job-status.ts',
  'elements/job-trigger/job-trigger': 'src/elements/job-trigger/job-trigger.ts',
  'elements/job-status-provider/job-status-provider': 'src/elements/job-status-provider/job-status-provider.ts',
  'elements/job-list/job-list': 'src/elements/job-list/job-list.ts',
  'elements/job-detail/job-detail': 'src/elements/job-detail/job-detail.ts',
};

/**
 * Self-contained single files (issue 4), each with the client and Lit inlined: what a
 * page pays for one element, and `job-status-elements.js`, every element in one file for
 * a plain `<script type="module">`. Only that one is published; `dist/standalone/` and
 * `dist/bundled/` exist for the size report and stay out of the tarball (`files`).
 */
const standalone = {
  'job-status-elements': 'src/elements/all.ts',
  'standalone/job-status': 'src/elements/job-status/job-status.ts',
  'standalone/job-trigger': 'src/elements/job-trigger/job-trigger.ts',
  'standalone/job-status-provider': 'src/elements/job-status-provider/job-status-provider.ts',
  'standalone/job-list': 'src/elements/job-list/job-list.ts',
  'standalone/job-detail': 'src/elements/job-detail/job-detail.ts',
};

/** Min+gzip size targets in bytes, by entry name (the client's comes from issue 3). */
const targets = {
  'client/index': 3 * 1024,
  // Issue 8: `<job-status>` with the client and Lit, and the whole bundle.
  'standalone/job-status': 12 * 1024,
  'job-status-elements': 25 * 1024,
};

const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const ts = (minify) => esbuild({ target: 'es2022', tsconfig, minify, sourceMap: true });
/** Every build ships the styles without their indentation (terser leaves template text alone). */
const css = minifyCss();
/** The npm build's maps point into the `src/` that ships beside them instead of copying it. */
const noSourcesContent = { sourcemap: true, sourcemapExcludeSources: true };

export default [
  {
    input: { ...entries, ...elementEntries },
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
    plugins: [css, ts(false)],
    // One file per source module, so `custom-elements.json` and the `.d.ts` files can name
    // the published module of every class.
    output: { dir: 'dist', format: 'es', ...noSourcesContent, preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
  },
  {
    input: entries,
    plugins: [
      nodeResolve({ exportConditions: ['@job-status/source', 'browser', 'production'] }),
      css,
      ts(false),
      terser({ ecma: 2022, module: true, compress: { passes: 2 } }),
      sizeReport(targets),
    ],
    output: { dir: 'dist/bundled', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  },
  ...Object.entries(standalone).map(([name, input]) => ({
    input: { [name]: input },
    plugins: [
      nodeResolve({ exportConditions: ['@job-status/source', 'browser', 'production'] }),
      css,
      ts(false),
      terser({ ecma: 2022, module: true, compress: { passes: 2 } }),
      sizeReport(targets),
    ],
    // No map: these minified files are mostly Lit; debug with the unbundled build, whose maps ship.
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', inlineDynamicImports: true },
  })),
];
