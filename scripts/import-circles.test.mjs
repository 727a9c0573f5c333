import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('import-circles.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const run = (...folders) => spawnSync(process.execPath, [script, ...folders], { encoding: 'utf8' });

/** A folder of modules: name → source. */
function modules(files) {
  const dir = mkdtempSync(join(tmpdir(), 'import-circles-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('the sources of the three packages import each other in no circle', () => {
  const result = run(...['server-adapter/src', 'components/src', 'protocol/src'].map((folder) => join(root, folder)));
  assert.equal(result.stderr, '');
  assert.equal(result.status, 0);
});

test('a circle fails the check and is named, type-only imports and re-exports included', () => {
  const dir = modules({
    'a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
    'b.ts': "// import { nothing } from './c.js'\nexport { c } from './nested/c.js';\nexport type B = string;\n",
    'nested/c.ts': "import {\n  type A,\n} from '../a.js';\nexport const c = 1 as unknown as A;\n",
    'd.ts': "import { c } from './nested/c.js';\nexport const d = c;\n",
  });
  try {
    const result = run(dir);
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /import circle: .*a\.ts → .*b\.ts → .*nested\/c\.ts → .*a\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
