import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Vue renders `job-*` tags as custom elements instead of resolving them as Vue components.
export default defineConfig({
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('job-') } } })],
});
