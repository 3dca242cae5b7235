import * as os from 'node:os';
import { defineConfig } from 'vitest/config';
import { WHOLE_FRAMEWORK_FILES } from './test/support/e2e-files.js';

// The end-to-end suite (npm run test:e2e): real third-party CLIs with their own install under e2e/<name>/, and
// the whole-framework packaging and crash tests of test/ (test/support/e2e-files.ts).
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts', ...WHOLE_FRAMEWORK_FILES],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    maxWorkers: os.availableParallelism() + 1,
  },
});
