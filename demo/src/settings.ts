import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the Dedalus settings page keeps. Stored as JSON beside the job database. */
export interface DemoSettings {
  dedalusKey: string | null;
  verifiedAt: string | null;
  /** Writes the settings to disk. */
  save(): void;
}

export function loadSettings(dataDir: string): DemoSettings {
  const file = join(dataDir, 'settings.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoSettings>) : {};
  const settings: DemoSettings = {
    dedalusKey: stored.dedalusKey ?? null,
    verifiedAt: stored.verifiedAt ?? null,
    save() {
      writeFileSync(file, JSON.stringify({ dedalusKey: settings.dedalusKey, verifiedAt: settings.verifiedAt }, null, 2));
    },
  };
  return settings;
}
