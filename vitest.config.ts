import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // fast-check draws from a fixed seed (test/setup-fast-check.ts): the suite is deterministic.
    setupFiles: ['test/setup-fast-check.ts'],
    // Training tests are CPU-bound on a 2-core machine: one worker per core.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
