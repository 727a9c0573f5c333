import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import { loadSettings } from '../src/settings.js';

/**
 * Issue 13, finding 9: the settings file holding the Dedalus key was world-readable (0644).
 * Issue 17: a data folder that does not exist yet is made, readable by its owner only.
 */
const mode = (path: string) => statSync(path).mode & 0o777;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'job-status-data-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the demo data folder', () => {
  it('is made, with its parents, owner-only when it does not exist', async () => {
    const dataDir = join(root, 'not', 'yet');
    const demo = createDemoApp({ dataDir, delayScale: 0.01, failureRate: 0, logger: { info: () => undefined, error: () => undefined } });
    await demo.close();
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(root, 'not'))).toBe(0o700);
  });

  it('writes the settings holding the Dedalus key readable by the owner only', () => {
    const settings = loadSettings(root);
    settings.dedalusKey = 'ddl_live_secret';
    settings.save();
    expect(mode(join(root, 'settings.json'))).toBe(0o600);
    expect(loadSettings(root).dedalusKey).toBe('ddl_live_secret');
  });

  it('closes a settings file an older demo left world-readable, at start and on save', () => {
    const file = join(root, 'settings.json');
    writeFileSync(file, JSON.stringify({ dedalusKey: 'ddl_live_old', verifiedAt: null }));
    chmodSync(file, 0o644);
    const settings = loadSettings(root);
    expect(mode(file)).toBe(0o600);
    expect(settings.dedalusKey).toBe('ddl_live_old');

    chmodSync(file, 0o644);
    settings.dedalusKey = 'ddl_live_new';
    settings.save();
    expect(mode(file)).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ dedalusKey: 'ddl_live_new', verifiedAt: null });
  });
});
