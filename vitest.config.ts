import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engine tests start many Python workers; running files two at a time keeps a
    // 2-core machine responsive without serialising everything.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
