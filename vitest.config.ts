import { defineConfig } from 'vitest/config';

// Lets `npx vitest` at the root run every package's tests in one process (each package
// keeps its own vitest.config.ts; `npm test` runs them through turbo instead).
export default defineConfig({
  test: { projects: ['packages/*'] },
});
