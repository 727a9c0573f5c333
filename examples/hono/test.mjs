import { driveExample } from '../drive.mjs';

await driveExample({ name: 'hono', server: 'dist/server.js', signIn: 'admin' });
