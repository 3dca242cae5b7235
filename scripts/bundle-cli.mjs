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

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@aws-sdk/*', ...loadedOnUse],
  define: { STAGE_SECRETS_VERSION: JSON.stringify(version), STAGE_SECRETS_CONSOLE_UI: JSON.stringify(consoleUi) },
  // CommonJS dependencies (dotenv) call require() for Node built-ins; give the ES module a real one.
  banner: {
    js: "import { createRequire as __stageSecretsRequire } from 'node:module'; const require = __stageSecretsRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
