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
const WITHOUT_TABS = { 'client/tab-sharing.ts': 'export const shareTabs = () => undefined;' };

function bundles() {
  // The whole package as a page loads it: every element registered, plus the client.
  const whole = existsSync(`${COMPONENTS_SRC}all.ts`)
    ? ['all.ts', ...(existsSync(`${COMPONENTS_SRC}index.ts`) ? ['index.ts'] : [])]
    : ['client/index.ts', ...elementEntries(), ...(existsSync(`${COMPONENTS_SRC}index.ts`) ? ['index.ts'] : [])];
  return [
    // Tab sharing (Web Locks + BroadcastChannel) reported on its own: the client without
    // it (tab-sharing.ts replaced by "no group", as in a browser without those APIs),
    // then the client as it ships.
    { key: 'client', name: 'client alone, without tab sharing', files: ['client/index.ts'], budget: 3 * KB, replace: WITHOUT_TABS },
    { key: 'client_tabs', name: 'client with tab sharing (as shipped)', files: ['client/index.ts'], budget: 4 * KB },
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
      const js = await bundle(entry.files, { replace: entry.replace });
      const size = { min: Buffer.byteLength(js), gzip: gzipSync(js, { level: 9 }).length };
      rows.push({ ...entry, ...size, replace: undefined });
      log(`  ${entry.name}: ${size.min} B min, ${size.gzip} B min+gzip (${entry.files.join(' + ')})`);
    } catch (error) {
      rows.push({ ...entry, skipped: `build failed: ${String(error.message).split('\n')[0]}` });
      log(`  ${entry.name}: SKIPPED (${rows.at(-1).skipped})`);
    }
  }
  // What tab sharing adds, on its own line: budget 1 KB.
  const [alone, shared] = ['client', 'client_tabs'].map((key) => rows.find((r) => r.key === key && !r.skipped));
  if (alone && shared) {
    const row = { key: 'tab_sharing', name: 'tab sharing adds', files: ['client/tab-sharing.ts'], budget: KB, min: shared.min - alone.min, gzip: shared.gzip - alone.gzip };
    rows.push(row);
    log(`  ${row.name}: ${row.min} B min, ${row.gzip} B min+gzip`);
  }
  return { rows };
}
