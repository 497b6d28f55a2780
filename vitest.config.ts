import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    globalSetup: ['test/global-home.ts'],
    // Solver convergence sweeps are CPU-bound; two workers match our two-core build machines.
    pool: 'threads',
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
