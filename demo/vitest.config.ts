import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.ts';

// The end-to-end tests start the demo and a browser: give them time, and run files one at a time.
export default mergeConfig(shared, defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false } }));
