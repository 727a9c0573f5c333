import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import { getRequestListener } from '@hono/node-server';
import type { HttpBindings } from '@hono/node-server';
import { createJobStatus } from '@job-status/hono';
import type { Principal } from '@job-status/hono';

// The app's own sign-in: a session cookie, and `req.user` set from it on every request.
declare module 'express-session' {
  interface SessionData {
    userName?: string;
  }
}
interface AppUser extends Principal {
  name: string;
  admin: boolean;
}
declare global {
  namespace Express {
    interface Request {
      user?: AppUser;
    }
  }
}

// Hono on Node hands the routes the Node request as `c.env.incoming`; under Express that
// object *is* Express's `req`, so `authorize` reads what the app's middleware put there.
type JobsEnv = { Bindings: HttpBindings };

const jobs = createJobStatus<AppUser, JobsEnv>({
  authorize: (c) => {
    const user = (c.env.incoming as express.Request).user;
    if (!user) return null; // 401: not signed in
    return user.admin ? user : false; // 403: signed in, not allowed
  },
});

jobs.define('report.export', {
  label: 'Export the sales report',
  run: async (ctx) => {
    ctx.phase('Collecting rows');
    for (let page = 1; page <= 5; page++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ctx.progress({ current: page, total: 5, unit: 'pages' });
    }
    return { message: 'Exported 5 pages' };
  },
});

const app = express();
app.use(session({ secret: process.env.SESSION_SECRET ?? 'example only', resave: false, saveUninitialized: false }));
app.use((req, _res, next) => {
  const name = req.session.userName;
  req.user = name ? { id: name, name, admin: name === 'admin' } : undefined;
  next();
});

// Express strips the mount path before the listener sees the URL, so the job routes are
// mounted at the root of their Hono app and Express adds `/api/jobs`. Mount them before
// any body parser: the routes read the raw body.
app.use('/api/jobs', getRequestListener(jobs.routes().fetch));

app.post('/login', express.urlencoded({ extended: false }), (req, res) => {
  req.session.userName = String(req.body.user ?? '');
  res.redirect(303, '/');
});

// The page and, for its import map, the unbundled elements and their dependencies.
const modules = fileURLToPath(import.meta.resolve('lit')).replace(/(.*\/node_modules\/).*/, '$1');
for (const name of ['@job-status/elements', '@job-status/protocol', '@lit/context', '@lit/reactive-element', 'lit', 'lit-element', 'lit-html']) {
  app.use(`/modules/${name}`, express.static(`${modules}${name}`));
}
app.use(express.static(fileURLToPath(new URL('../public', import.meta.url))));

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  const address = server.address();
  console.log(`Express example on http://localhost:${typeof address === 'object' && address ? address.port : ''}`);
});
process.on('SIGTERM', () => {
  server.close();
  void jobs.close();
});
