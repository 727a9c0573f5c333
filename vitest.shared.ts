import { defineConfig } from 'vitest/config';

// Tests run on source: the "source" export condition maps each package to its src/*.ts.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
});
