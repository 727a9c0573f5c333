import { defineConfig } from 'vitest/config';

// Tests run on source: the "@job-status/source" export condition maps each of our packages to
// its src/*.ts. No bundler sets that name by default, so consumers always get dist/*.js.
export default defineConfig({
  resolve: { conditions: ['@job-status/source'] },
  ssr: { resolve: { conditions: ['@job-status/source'] } },
});
