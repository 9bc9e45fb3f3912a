import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores on CI: keep the pool small so property tests do not starve each other.
    pool: 'threads',
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
