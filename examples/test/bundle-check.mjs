// What a bundler with its default conditions makes of the installed elements: no
// TypeScript source may reach the bundle, and no TS decorator syntax may survive in it.
import { build } from 'esbuild';

/** CSS at-rules look like decorators (`@media(`); everything else with `@name(` is one. */
const DECORATOR = /(?<![\w$'"`])@(?!(?:media|supports|container|layer|keyframes|font-face|import|charset|page|scope|property|starting-style)\b)[A-Za-z_$][\w$]*(?:\.[\w$]+)*\(/;

/** Bundles every element and the client the way an app would, from `fromDir`'s node_modules. */
export async function bundleElements(fromDir) {
  const result = await build({
    stdin: { contents: "import '@job-status/elements/all';\nexport * from '@job-status/elements/client';", resolveDir: fromDir, loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  });
  return { inputs: Object.keys(result.metafile.inputs), code: result.outputFiles.map((file) => file.text).join('\n') };
}

/** @returns {string[]} what is wrong with a bundle: TS inputs, decorator syntax in the output */
export function checkBundle({ inputs, code }) {
  const problems = inputs.filter((input) => /(?<!\.d)\.[mc]?tsx?$/.test(input)).map((input) => `TypeScript source in the bundle: ${input}`);
  const decorator = DECORATOR.exec(code);
  if (decorator) problems.push(`decorator syntax in the bundle: …${code.slice(Math.max(0, decorator.index - 40), decorator.index + 40)}…`);
  return problems;
}
