import { defineConfig } from 'vitest/config';

/**
 * The one vitest configuration every package extends.
 *
 * `@lattice/source` is a custom export condition that points each workspace package at its
 * TypeScript sources, so tests run against the code as written (no build step, no stale
 * dist). Each run also writes a JSON report that `.ci/run` sums into its final line.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@lattice/source'] },
  ssr: { resolve: { conditions: ['@lattice/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-report.json' }]],
  },
});
