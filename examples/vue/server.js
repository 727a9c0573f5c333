// The built app (dist/) and the job routes, on one Node server.
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createJobStatus } from '@job-status/hono';
import { Hono } from 'hono';

const jobs = createJobStatus({
  // Your app's sign-in goes here; this example lets everyone in as one admin.
  authorize: () => ({ id: 'admin' }),
});

jobs.define('index.rebuild', {
  label: (_input, index) => `Rebuild the ${index} index`,
  run: async (ctx) => {
    ctx.phase('Reading products');
    await new Promise((resolve) => setTimeout(resolve, 400));
    ctx.phase('Writing the index');
    await new Promise((resolve) => setTimeout(resolve, 400));
    return { message: 'Indexed 1,200 products' };
  },
});

const app = new Hono().route('/api/jobs', jobs.routes()).use('/*', serveStatic({ root: './dist' }));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`Vue example on http://localhost:${info.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void jobs.close();
});
