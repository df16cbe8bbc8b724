import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**'],
    setupFiles: ['./test/helpers/plain-env.ts'],
    // The digest comes last, so the end of a CI log names every failure and its first lines.
    reporters: ['default', './test/helpers/failure-digest.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
