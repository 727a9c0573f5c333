// Checks on one installed package, as a user's tools see it: what `exports` hands out under
// default conditions, whether every shipped file is reachable from `exports`, and whether
// custom-elements.json names files that ship.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

/** Every file under `dir`, as package-relative POSIX paths. */
function filesUnder(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, root) : [relative(root, path).split('\\').join('/')];
  });
}

/** Export targets, each with the condition path that leads to it (`['.', 'types']`). */
function exportTargets(exports, trail = []) {
  if (typeof exports === 'string') return [{ trail, target: exports }];
  return Object.entries(exports ?? {}).flatMap(([key, value]) => exportTargets(value, [...trail, key]));
}

const IMPORT = /(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const MAP = /[#@] sourceMappingURL=(\S+)\s*$/m;

/**
 * Files one shipped file points at: relative imports, its source map, a map's sources,
 * and its companion (`x.d.ts` of `x.js` and back, as tsc emits them).
 */
function referencesOf(pkgDir, file) {
  const text = readFileSync(join(pkgDir, file), 'utf8');
  const here = posix.dirname(file);
  if (file.endsWith('.map')) return (JSON.parse(text).sources ?? []).map((source) => posix.join(here, source));
  const refs = [file.endsWith('.d.ts') ? file.replace(/\.d\.ts$/, '.js') : file.replace(/\.js$/, '.d.ts')];
  for (const match of text.matchAll(IMPORT)) {
    const spec = posix.join(here, match[1] ?? match[2]);
    if (file.endsWith('.d.ts')) refs.push(spec.replace(/\.js$/, '.d.ts'));
    else if (file.endsWith('.ts')) refs.push(spec.replace(/\.js$/, '.ts'));
    else refs.push(spec);
  }
  const map = MAP.exec(text)?.[1];
  if (map && !map.startsWith('data:')) refs.push(posix.join(here, map));
  return refs;
}

/**
 * @returns {{ problems: string[], files: number }} what a user would frown at, if anything
 */
export function checkPackage(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const shipped = new Set(filesUnder(pkgDir).filter((file) => !file.startsWith('node_modules/')));
  const problems = [];
  const targets = exportTargets(pkg.exports);

  for (const { trail, target } of targets) {
    const file = posix.normalize(target);
    if (!shipped.has(file)) problems.push(`exports ${trail.join(' → ')} names ${target}, which does not ship`);
    const devOnly = trail.some((condition) => condition.startsWith('@job-status/'));
    if (!devOnly && /(?<!\.d)\.[mc]?tsx?$/.test(file)) problems.push(`exports ${trail.join(' → ')} hands out TypeScript source ${target}`);
  }
  for (const field of ['main', 'types']) {
    if (!pkg[field] || !shipped.has(posix.normalize(pkg[field]))) problems.push(`"${field}" is missing or names a file that does not ship`);
  }

  const seeds = [
    'package.json',
    ...[...shipped].filter((file) => /^(README|LICENSE)/i.test(file)),
    ...targets.map(({ target }) => posix.normalize(target)),
    ...Object.values(pkg.typesVersions?.['*'] ?? {}).flat(),
    ...(pkg.customElements ? [pkg.customElements] : []),
  ];
  const reached = new Set();
  const queue = seeds.filter((file) => shipped.has(file));
  while (queue.length) {
    const file = queue.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    if (/\.(js|ts|map)$/.test(file)) queue.push(...referencesOf(pkgDir, file).filter((ref) => shipped.has(ref)));
  }
  const stray = [...shipped].filter((file) => !reached.has(file));
  if (stray.length) problems.push(`${stray.length} shipped files no export reaches: ${stray.slice(0, 5).join(', ')}${stray.length > 5 ? ', …' : ''}`);

  if (pkg.customElements) problems.push(...checkManifest(pkgDir, pkg.customElements, shipped));
  return { problems, files: shipped.size };
}

/** custom-elements.json: module paths that ship, and a definition for every tag. */
function checkManifest(pkgDir, manifestPath, shipped) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, manifestPath), 'utf8'));
  const problems = [];
  const defined = new Set();
  for (const mod of manifest.modules) {
    if (!shipped.has(mod.path)) problems.push(`custom-elements.json names ${mod.path}, which does not ship`);
    for (const item of mod.exports ?? []) {
      if (item.kind === 'custom-element-definition') defined.add(item.name);
      const module = item.declaration?.module;
      if (module && !shipped.has(module)) problems.push(`custom-elements.json: ${item.name} points at ${module}, which does not ship`);
    }
  }
  const tags = manifest.modules.flatMap((mod) => (mod.declarations ?? []).map((declaration) => declaration.tagName).filter(Boolean));
  for (const tag of tags) if (!defined.has(tag)) problems.push(`custom-elements.json has no custom-element-definition for <${tag}>`);
  if (!tags.length) problems.push('custom-elements.json declares no element');
  return problems;
}

/** The installed package folder of `name`, seen from `fromDir` (a real folder, never a link). */
export function installedPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed above ${fromDir}`);
  }
}
