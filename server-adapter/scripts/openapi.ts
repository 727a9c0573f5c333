/**
 * Writes docs/openapi.json: the OpenAPI 3.1 document of the routes, as `GET /openapi.json`
 * serves it with `health` and `openapi` on and no kinds defined (an app's own document
 * lists its kinds). Run by `npm run build`; a test fails when the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createJobStatus } from '@job-status/hono';

export const DOCUMENT_PATH = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

/** The document the package describes, as text (two-space JSON and a final newline). */
export async function packageDocument(): Promise<string> {
  const jobs = createJobStatus({ authorize: () => null, health: true, openapi: true, logger: { info: () => undefined, error: () => undefined } });
  try {
    return `${JSON.stringify(await jobs.openapi(), null, 2)}\n`;
  } finally {
    await jobs.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DOCUMENT_PATH, await packageDocument());
  console.log(`wrote ${DOCUMENT_PATH}`);
}
