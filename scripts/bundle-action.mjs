// Bundles the GitHub Action's entry (src/action/main.ts) into one committed file, action/index.mjs: the
// runner runs `node action/index.mjs` from a checkout of the action and never runs `npm install`, so
// everything it needs is inside, the AWS SDK's KMS client included. The output is deterministic (no
// timestamps, paths relative to the repository): test/integration/action-bundle.test.ts rebuilds it
// into a temporary folder and fails when the committed file differs.
//   node scripts/bundle-action.mjs [OUTFILE]
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = process.argv[2] ?? 'action/index.mjs';

await build({
  absWorkingDir: root,
  entryPoints: ['src/action/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  // runs.using: node24 in action.yml; node20 keeps the bundle runnable by this repository's own Node 20 tests
  target: 'node20',
  minify: true,
  legalComments: 'eof',
  // CommonJS dependencies (the AWS SDK's) call require() for Node built-ins; give the ES module a real one.
  banner: {
    js: "import { createRequire as __stageSecretsRequire } from 'node:module'; const require = __stageSecretsRequire(import.meta.url);",
  },
  // nothing external: the contract check's parser (acorn and its TypeScript plugin) is inside, so the action
  // never loads a module from the workspace it reads
  logLevel: 'warning',
});
