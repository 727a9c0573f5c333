import { gzipSync } from 'node:zlib';

/**
 * Rollup plugin: prints the minified and the minified+gzipped size of every entry chunk,
 * and how it compares with its size target. Over target is reported, not fatal: the
 * number is for people deciding what the bytes buy.
 *
 * @param {Record<string, number>} targets entry name (as in `input`) → bytes, min+gzip
 */
export function sizeReport(targets = {}) {
  return {
    name: 'job-status-size-report',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
        const gzip = gzipSync(chunk.code, { level: 9 }).length;
        const target = targets[chunk.name];
        const verdict =
          target === undefined ? '' : gzip <= target ? `, target ${target} B: ok` : `, target ${target} B: OVER by ${gzip - target} B`;
        console.log(`size ${chunk.name}: ${Buffer.byteLength(chunk.code)} B min, ${gzip} B min+gzip${verdict}`);
      }
    },
  };
}
