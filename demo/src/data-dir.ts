import { mkdirSync } from 'node:fs';

/**
 * Makes the demo's data folder (and its parents) when missing, readable by its owner only:
 * it holds the Dedalus key and the session table. A folder that exists keeps its mode.
 */
export function ensureDataDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}
