// Bundles the console's front end (console-ui/, Preact) into dist/console-ui/app.js and app.css at
// build time; scripts/bundle-cli.mjs then embeds both in dist/cli.mjs, so the console serves them
// itself and the page loads nothing from any other host.
import { build } from 'esbuild';

await build({
  entryPoints: { app: 'console-ui/main.tsx' },
  outdir: 'dist/console-ui',
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
await build({
  entryPoints: { app: 'console-ui/style.css' },
  outdir: 'dist/console-ui',
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
