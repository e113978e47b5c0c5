import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps global engine state: one file per process keeps tests independent.
    pool: 'forks',
    // One file per core: most files spend their time in one thread (tfjs's CPU backend), and
    // Vitest's default of cores − 1 runs them one at a time on a two-core machine.
    maxWorkers: availableParallelism(),
  },
});
