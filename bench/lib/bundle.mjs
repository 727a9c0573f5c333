import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';
import { minifyCss } from '../../components/scripts/minify-css.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const COMPONENTS_SRC = `${ROOT}components/src/`;
const VIRTUAL = '\0bench-entry';

/** Every element's registration module (`elements/<name>/<name>.ts`) that exists now, relative to components/src. */
export function elementEntries() {
  const dir = `${COMPONENTS_SRC}elements/`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(`${dir}${entry.name}/${entry.name}.ts`))
    .map((entry) => `elements/${entry.name}/${entry.name}.ts`);
}

/**
 * Bundles modules of components/src (paths relative to it) into one self-contained ES
 * module, the way a page would ship it: sources through esbuild, Lit's production build,
 * the styles without indentation (the package's build does the same to what it publishes),
 * every export kept, optionally minified with terser. `replace` maps a module (path
 * relative to components/src) to the source that stands in for it, to measure what a
 * part adds by leaving it out.
 */
export async function bundle(files, { minify = true, replace = {} } = {}) {
  const code = files.map((file) => `export * from ${JSON.stringify(`${COMPONENTS_SRC}${file}`)};\nimport ${JSON.stringify(`${COMPONENTS_SRC}${file}`)};`).join('\n');
  const build = await rollup({
    input: VIRTUAL,
    onwarn: () => undefined,
    plugins: [
      { name: 'entry', resolveId: (id) => (id === VIRTUAL ? id : null), load: (id) => (id === VIRTUAL ? code : null) },
      { name: 'replace', load: (id) => replace[id.slice(COMPONENTS_SRC.length)] ?? null },
      nodeResolve({ exportConditions: ['@job-status/source', 'browser', 'production'] }),
      // As the package's build does: the styles ship without their indentation.
      minifyCss(),
      esbuild({ target: 'es2022', tsconfig: `${ROOT}tsconfig.json` }),
      ...(minify ? [terser({ ecma: 2022, module: true, compress: { passes: 2 } })] : []),
    ],
  });
  try {
    const { output } = await build.generate({ format: 'es', inlineDynamicImports: true });
    return output[0].code;
  } finally {
    await build.close();
  }
}
