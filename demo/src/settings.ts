import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the Dedalus settings page keeps. Stored as JSON beside the job database. */
export interface DemoSettings {
  dedalusKey: string | null;
  verifiedAt: string | null;
  /** Writes the settings to disk, readable by the owner only. */
  save(): void;
}

/** Owner read and write, nobody else: the file holds the Dedalus API key. */
const OWNER_ONLY = 0o600;

export function loadSettings(dataDir: string): DemoSettings {
  const file = join(dataDir, 'settings.json');
  // A file an older demo wrote world-readable is closed before anything else reads it.
  if (existsSync(file)) chmodSync(file, OWNER_ONLY);
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoSettings>) : {};
  const settings: DemoSettings = {
    dedalusKey: stored.dedalusKey ?? null,
    verifiedAt: stored.verifiedAt ?? null,
    save() {
      // A new file made owner-only, then renamed over the old one: the key is never
      // readable by others, and a crash mid-write leaves the old settings whole.
      const next = `${file}.${process.pid}.tmp`;
      writeFileSync(next, JSON.stringify({ dedalusKey: settings.dedalusKey, verifiedAt: settings.verifiedAt }, null, 2), { mode: OWNER_ONLY });
      chmodSync(next, OWNER_ONLY);
      renameSync(next, file);
    },
  };
  return settings;
}
