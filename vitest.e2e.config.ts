import { defineConfig } from 'vitest/config';

// The end-to-end suite (npm run test:e2e): real third-party CLIs with their own install under e2e/<name>/.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // the frameworks' compiled config schemas, shared by the run (deploy tests)
    globalSetup: ['test/support/global-setup.ts'],
  },
});
