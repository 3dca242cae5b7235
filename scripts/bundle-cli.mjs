// Bundles the CLI into one file (dist/cli.mjs): Node loads one module instead of ~40, which takes
// 15-25 ms off every command's start-up (see the README's Performance section). Only the dependencies
// every command may need at start-up are bundled; the others (the AWS SDK, an identity kind's library)
// stay external, so Node loads them only when a stage uses that kind or backend.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version, dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const STARTUP_DEPENDENCIES = ['dotenv', 'yaml', 'zod'];
// the others (the AWS SDK, an identity kind's library, the contract scan's parsers) load on first use
const loadedOnUse = Object.keys(dependencies).filter((name) => !STARTUP_DEPENDENCIES.includes(name));
// the console's front end, bundled before by scripts/bundle-console.mjs: served from memory by the console
const consoleUi = {
  js: readFileSync(new URL('../dist/console-ui/app.js', import.meta.url), 'utf8'),
  css: readFileSync(new URL('../dist/console-ui/app.css', import.meta.url), 'utf8'),
};

/**
 * The AWS SDK's packages are CommonJS (their `main`; they have no `exports`). Node 20 loads a CommonJS
 * package through the ES module loader when it is `import()`ed, which costs about as much again as the
 * package itself: 83 instead of 48 ms of CPU for @aws-sdk/client-kms, 125 instead of 67 for client-s3, in
 * every process that calls KMS or a store. So the CLI bundle turns each `import('@aws-sdk/...')` into a
 * require() of the same package, still on first use and still resolved from node_modules.
 */
const sdkThroughRequire = {
  name: 'sdk-through-require',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\//, namespace: 'file' }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'sdk-through-require' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'sdk-through-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@aws-sdk/*', ...loadedOnUse],
  plugins: [sdkThroughRequire],
  define: { STAGE_SECRETS_VERSION: JSON.stringify(version), STAGE_SECRETS_CONSOLE_UI: JSON.stringify(consoleUi) },
  // CommonJS dependencies (dotenv) call require() for Node built-ins; give the ES module a real one.
  banner: {
    js: "import { createRequire as __stageSecretsRequire } from 'node:module'; const require = __stageSecretsRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
