import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/lazy-modules/${name}`, import.meta.url));

/**
 * zod and hono-openapi are for the OpenAPI document: serving requests loads neither (a
 * server's memory holds them only once a document is asked for). Run in a process of its
 * own, with module hooks that report what loads.
 */
describe('modules loaded to serve requests', () => {
  it('are neither zod nor hono-openapi, until the OpenAPI document is asked for', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=@job-status/source', '--import', 'tsx', '--import', fixture('register.mjs'), fixture('serve.mjs')],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 },
    );
    const lines = stdout.trim().split('\n');
    const served = lines.slice(0, lines.indexOf('document'));
    expect(served.filter((line) => !line.startsWith('loaded '))).toEqual([
      'POST / 202',
      'GET /:id 200',
      'GET /?ids= 200',
      'GET /?state=&kind=&target=&sort= 200',
      'GET /:id/logs 200',
      'GET /kinds 200',
      'HEAD /events 200',
      'GET /bad 400',
    ]);
    expect(served.filter((line) => line.startsWith('loaded '))).toEqual([]);
    const documented = lines.slice(lines.indexOf('document'));
    expect(documented).toContain('GET /openapi.json 200');
    expect(documented.some((line) => /\/zod\//.test(line))).toBe(true);
    expect(documented.some((line) => /\/hono-openapi\//.test(line))).toBe(true);
  }, 90_000);
});
