import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The packages a bench server imports, built in order (each package's own `tsconfig.build.json`). */
const BUILT_PACKAGES = ['protocol', 'server-adapter'];
let built = false;

/**
 * Builds the JavaScript of the packages the bench's job-status servers run (`dist/`, as
 * published: what an app runs), so a part measures the current sources. The same
 * compilation as `npm run build` (which also writes docs/openapi.json); a few seconds,
 * once per bench run.
 */
export function buildPackages(log) {
  if (built) return;
  const started = performance.now();
  for (const dir of BUILT_PACKAGES) {
    execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}${dir}/tsconfig.build.json`], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  built = true;
  log(`  built ${BUILT_PACKAGES.join(', ')} (dist/) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
