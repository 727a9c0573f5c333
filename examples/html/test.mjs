import { driveExample } from '../drive.mjs';

await driveExample({ name: 'html', server: 'server.js' });
