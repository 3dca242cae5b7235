import * as os from 'node:os';
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that run a real framework (serverless, osls) or npm take the longest. Started first, they overlap
 * with the rest instead of running on their own at the end. Vitest's own order (slowest first by the last
 * run's timings, else largest file first) cannot know them on a fresh clone: their test files are small.
 */
const START_FIRST = [
  'test/integration/plugin-package-serverless.test.ts',
  'test/integration/plugin-package-osls.test.ts',
  'test/integration/plugin-package-kms.test.ts',
  'test/integration/plugin-apps-serverless.test.ts',
  'test/integration/plugin-apps-osls.test.ts',
  'test/integration/apps-cli.test.ts',
  'test/integration/runtime-mode-esbuild.test.ts',
  'test/integration/runtime-mode-serverless.test.ts',
  'test/integration/runtime-mode-osls.test.ts',
  'test/integration/runtime-mode-store.test.ts',
  'test/integration/runtime-mode-store-osls.test.ts',
  'test/integration/runtime-mode-esbuild-esm.test.ts',
  'test/integration/runtime-mode-deploy-function.test.ts',
  'test/integration/package-install.test.ts',
  'test/security/name-approval.test.ts',
  'test/security/sls-opt-out-leak.test.ts',
  'test/security/package-stage-files.test.ts',
];

class FrameworksFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const i = START_FIRST.indexOf(path.relative(file.project.config.root, file.moduleId).split(path.sep).join('/'));
      return i < 0 ? START_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    // Vitest's default is a worker less than the cores: one on 2 cores, every file in turn, each mostly
    // waiting on the processes it starts (the CLI, the frameworks) and on KMS retry back-off. One worker
    // more than the cores keeps them busy.
    maxWorkers: os.availableParallelism() + 1,
    sequence: { sequencer: FrameworksFirst },
  },
});
