// Serves the built app (dist/) and the job routes it talks to.
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createJobStatus } from '@job-status/hono';
import { Hono } from 'hono';

const jobs = createJobStatus({
  // Your app's sign-in goes here; this example lets everyone in as one admin.
  authorize: () => ({ id: 'admin' }),
});

jobs.define('invoice.send', {
  label: (_input, month) => `Send ${month} invoices`,
  run: async (ctx) => {
    ctx.phase('Sending');
    for (let sent = 10; sent <= 40; sent += 10) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ctx.progress({ current: sent, total: 40, unit: 'invoices' });
    }
    return { message: 'Sent 40 invoices' };
  },
});

const app = new Hono().route('/api/jobs', jobs.routes()).use('/*', serveStatic({ root: './dist' }));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`React example on http://localhost:${info.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void jobs.close();
});
