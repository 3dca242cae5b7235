import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { WHOLE_FRAMEWORK_FILES } from './test/support/e2e-files.js';

/**
 * Files that start many processes (the CLI, git, npm, the frameworks' print) take the longest. Started first,
 * they overlap with the rest instead of running on their own at the end. Vitest's own order (slowest first by
 * the last run's timings, else largest file first) cannot know them on a fresh clone.
 */
const START_FIRST = [
  'test/integration/cli-core.test.ts',
  'test/integration/cli-refusals.test.ts',
  'test/security/approval-replay.test.ts',
  'test/integration/kms-cli.test.ts',
  'test/integration/console-server.test.ts',
  'test/integration/run-cli.test.ts',
  'test/security/identity-records.test.ts',
  'test/security/hostile-files.test.ts',
  'test/integration/git-merge-v3.test.ts',
  'test/integration/runtime-store.test.ts',
  'test/security/leaks.test.ts',
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

/**
 * Which files share worker processes (isolate: false): a new process and a fresh import of vitest and of the
 * test's modules cost 0.15-0.2 CPU-seconds per file, more than most unit files take (test/unit: 27
 * CPU-seconds isolated, 11 shared).
 * - Unit files share, except the two below that change module state another file would see. A unit file
 *   that changes process.env restores it; module caches must key on what they were built from (the KMS
 *   client cache keys on the endpoint and credentials: a later file's KMS server is never answered by an
 *   earlier file's client).
 * - An integration or security file shares only when it starts processes and nothing else: one that imports
 *   src/, sets or deletes process.env entries, mocks, stubs, or changes the logger, the working folder or
 *   the umask runs in a process of its own (isolate: true).
 */
const ISOLATED_UNIT_FILES = [
  'test/unit/serverless/apply.one-read-path.test.ts',
  'test/unit/runtime/open-packaged.test.ts',
];
const IN_PROCESS =
  /from '\.\.\/\.\.\/src\/|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.(chdir|umask|on)\(|setLogger|vi\.(mock|doMock|stub\w*|spyOn|useFakeTimers)/;
const ROOT = path.dirname(fileURLToPath(import.meta.url));
const PROCESS_ONLY_FILES = ['test/integration', 'test/security']
  .flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `${dir}/${name}`),
  )
  .filter((file) => !IN_PROCESS.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/unit/**/*.test.ts', ...PROCESS_ONLY_FILES],
          exclude: ISOLATED_UNIT_FILES,
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts', ...ISOLATED_UNIT_FILES],
          exclude: PROCESS_ONLY_FILES,
        },
      },
    ],
    // whole-framework packaging and crash tests run in the e2e suite (test/support/e2e-files.ts)
    exclude: [...WHOLE_FRAMEWORK_FILES, '**/node_modules/**'],
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
