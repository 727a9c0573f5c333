import { driveExample } from '../drive.mjs';

await driveExample({ name: 'express', server: 'dist/server.js', signIn: 'admin' });
