// A plain Node server (no build step): the page, the elements' single file, and the job routes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createJobStatus } from '@job-status/hono';
import { Hono } from 'hono';

const jobs = createJobStatus({
  // Your app's sign-in goes here; this example lets everyone in as one admin.
  authorize: () => ({ id: 'admin' }),
});

jobs.define('sync.push', {
  label: (_input, target) => `Push to ${target}`,
  run: async (ctx) => {
    ctx.phase('Uploading records');
    for (let file = 1; file <= 3; file++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      ctx.progress({ current: file, total: 3, unit: 'files' });
    }
    return { message: 'Pushed 3 files' };
  },
});

const page = readFileSync(new URL('index.html', import.meta.url), 'utf8');
const elements = readFileSync(fileURLToPath(import.meta.resolve('@job-status/elements/job-status-elements.js')), 'utf8');

const app = new Hono()
  .route('/api/admin/jobs', jobs.routes())
  .get('/job-status-elements.js', (c) => c.body(elements, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
  .get('/', (c) => c.html(page));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`HTML example on http://localhost:${info.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void jobs.close();
});
