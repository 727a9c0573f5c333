import { driveExample } from '../drive.mjs';

await driveExample({ name: 'react', server: 'server.js' });
