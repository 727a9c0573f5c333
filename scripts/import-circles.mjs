// Fails when the modules under the given folders import each other in a circle, type-only
// imports included (a circle of types is still two modules that cannot be read apart).
// Part of `npm run typecheck`. Usage: node scripts/import-circles.mjs <folder>...
//
// A scanner rather than a library: madge and dpdm are not dependencies, TypeScript 7 has
// no stable compiler API (only `typescript/unstable/*`), and esbuild's metafile drops
// type-only imports. Our sources import each other only with static relative specifiers
// ending in `.js` (`./hub.js`), which this reads after stripping comments.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const IMPORT = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:^|[;\s])import\s*\(?\s*['"](\.[^'"]+)['"]/g;
const files = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
const target = (from, spec) =>
  [spec.replace(/\.js$/, '.ts'), spec.replace(/\.js$/, '.tsx'), `${spec}.ts`, join(spec, 'index.ts')]
    .map((candidate) => resolve(dirname(from), candidate))
    .find(existsSync);

/** Every circle among `roots`' modules, each as the list of files around it (the first repeated at the end). */
export function importCircles(roots) {
  const graph = new Map();
  for (const file of roots.flatMap((root) => files(resolve(root)))) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    graph.set(file, [...text.matchAll(IMPORT)].map((m) => target(file, m[1] ?? m[2])).filter(Boolean));
  }
  const circles = [];
  const state = new Map(); // file → 'open' while on the path, 'done' after
  const path = [];
  const visit = (file) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return circles;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const circles = importCircles(process.argv.slice(2));
  for (const circle of circles) console.error(`import circle: ${circle.map((f) => relative(process.cwd(), f)).join(' → ')}`);
  if (circles.length) process.exit(1);
}
