// Bundles the CLI into one file (dist/cli.mjs): Node loads one module instead of ~40, which takes
// 15-25 ms off every command's start-up (see the README's Performance section). Only the dependencies
// every command may need at start-up are bundled; the others (the AWS SDK, an identity kind's library)
// stay external, so Node loads them only when a stage uses that kind or backend.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version, dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const STARTUP_DEPENDENCIES = ['dotenv', 'yaml', 'zod'];
const loadedOnUse = Object.keys(dependencies).filter((name) => !STARTUP_DEPENDENCIES.includes(name));

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@aws-sdk/*', ...loadedOnUse],
  define: { STAGE_SECRETS_VERSION: JSON.stringify(version) },
  // CommonJS dependencies (dotenv) call require() for Node built-ins; give the ES module a real one.
  banner: {
    js: "import { createRequire as __stageSecretsRequire } from 'node:module'; const require = __stageSecretsRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
