// Bundles the Lambda side of runtime mode (src/runtime) into self-contained files that the plugin copies
// into each function's package: stage-secrets itself is a devDependency and is not packaged. The AWS SDK
// is not in them: they resolve @aws-sdk/client-kms from the task root (Lambda's Node.js runtime has it).
// Two forms of the same code: CommonJS, which the framework packager's wrapper require()s; and an ES
// module, which serverless-esbuild inlines into the function's bundle. A CommonJS file inlined into an
// ES module bundle (custom.esbuild.format: esm) keeps its require() of node: modules, which throws there
// ("Dynamic require of ... is not supported"); an ES module inlines into either output format.
import { build } from 'esbuild';

const common = {
  entryPoints: ['src/runtime/index.ts'],
  bundle: true,
  platform: 'node',
  // the oldest Lambda Node.js runtime that includes AWS SDK v3
  target: 'node18',
  external: ['@aws-sdk/*'],
  legalComments: 'none',
  // less to parse at every cold start; names kept for stack traces and error classes
  minify: true,
  keepNames: true,
  banner: { js: '// stage-secrets runtime (generated; see src/runtime). Opens the secrets packaged for this function.' },
  logLevel: 'warning',
  metafile: true,
};

for (const [format, outfile] of [
  ['cjs', 'dist/runtime/stage-secrets-runtime.cjs'],
  ['esm', 'dist/runtime/stage-secrets-runtime.mjs'],
]) {
  const result = await build({ ...common, format, outfile });
  const inputs = Object.keys(result.metafile.inputs);
  const stray = inputs.filter((f) => f.includes('node_modules') || /src\/(store|cli|serverless|client)\//.test(f) || f.endsWith('core/format.ts'));
  if (stray.length) throw new Error(`the runtime bundle must stay self-contained and small; it pulled in: ${stray.join(', ')}`);
}
