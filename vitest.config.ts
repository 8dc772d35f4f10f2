import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Memory assertions force a collection first, so they measure what is retained.
    execArgv: ['--expose-gc'],
  },
});
