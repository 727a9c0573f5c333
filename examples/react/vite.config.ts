import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build` writes dist/; `npm start` serves it with the job routes (server.js).
export default defineConfig({ plugins: [react()] });
