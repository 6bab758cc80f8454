import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end files each start their own Envoy and processes on free ports; two cores do not
    // gain from running more than two at once.
    maxWorkers: 2,
  },
});
