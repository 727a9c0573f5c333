// Builds the elements' bundle when it is missing or older than their sources, so
// `npm start` and the end-to-end tests always serve what the sources say.
import { execSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const components = fileURLToPath(new URL('../../components/', import.meta.url));
const bundle = join(components, 'dist/job-status-elements.js');

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }, 0);

let built = 0;
try {
  built = statSync(bundle).mtimeMs;
} catch {
  // not built yet
}
const sources = Math.max(newest(join(components, 'src')), newest(fileURLToPath(new URL('../../protocol/src/', import.meta.url))));
if (built < sources) {
  console.log('Building the elements bundle…');
  // The elements' type declarations need the protocol's, so the protocol builds first.
  execSync('npm run build --silent -w @job-status/protocol -w @job-status/elements', { stdio: 'inherit', cwd: join(components, '..') });
}
