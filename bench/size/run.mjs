/**
 * Part 5, size: minified + gzipped bytes of three bundles made from the components'
 * sources with rollup, esbuild, terser and gzip -9 (Lit in production mode, everything
 * inlined, one ES module each, every export kept): the client alone, `<job-status>`
 * with the client and Lit, and the whole package. Missing entries are skipped by name.
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { COMPONENTS_SRC, bundle, elementEntries } from '../lib/bundle.mjs';

const KB = 1024;

function bundles() {
  // The whole package as a page loads it: every element registered, plus the client.
  const whole = existsSync(`${COMPONENTS_SRC}all.ts`)
    ? ['all.ts', ...(existsSync(`${COMPONENTS_SRC}index.ts`) ? ['index.ts'] : [])]
    : ['client/index.ts', ...elementEntries(), ...(existsSync(`${COMPONENTS_SRC}index.ts`) ? ['index.ts'] : [])];
  return [
    { key: 'client', name: 'client alone', files: ['client/index.ts'], budget: 3 * KB },
    { key: 'job_status', name: '<job-status> + client + Lit', files: ['elements/job-status/job-status.ts'], budget: 12 * KB },
    { key: 'whole', name: 'whole bundle', files: whole, budget: 25 * KB },
  ];
}

export async function runSize({ log }) {
  const rows = [];
  for (const entry of bundles()) {
    const missing = entry.files.filter((file) => !existsSync(`${COMPONENTS_SRC}${file}`));
    if (missing.length) {
      rows.push({ ...entry, skipped: `missing ${missing.map((file) => `components/src/${file}`).join(', ')}` });
      log(`  ${entry.name}: SKIPPED (${rows.at(-1).skipped})`);
      continue;
    }
    try {
      const js = await bundle(entry.files);
      const size = { min: Buffer.byteLength(js), gzip: gzipSync(js, { level: 9 }).length };
      rows.push({ ...entry, ...size });
      log(`  ${entry.name}: ${size.min} B min, ${size.gzip} B min+gzip (${entry.files.join(' + ')})`);
    } catch (error) {
      rows.push({ ...entry, skipped: `build failed: ${String(error.message).split('\n')[0]}` });
      log(`  ${entry.name}: SKIPPED (${rows.at(-1).skipped})`);
    }
  }
  return { rows };
}
