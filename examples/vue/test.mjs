import { driveExample } from '../drive.mjs';

await driveExample({ name: 'vue', server: 'server.js' });
