// Bundles the Lambda side of runtime mode (src/runtime) into one CommonJS file that the plugin copies
// into each function's package: stage-secrets itself is a devDependency and is not packaged. The AWS SDK
// is not in it: the file resolves @aws-sdk/client-kms from the task root (Lambda's Node.js runtime has it).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/runtime/index.ts'],
  outfile: 'dist/runtime/stage-secrets-runtime.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
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
}).then((result) => {
  const inputs = Object.keys(result.metafile.inputs);
  const stray = inputs.filter((f) => f.includes('node_modules') || /src\/(store|cli|serverless|client)\//.test(f) || f.endsWith('core/format.ts'));
  if (stray.length) throw new Error(`the runtime bundle must stay self-contained and small; it pulled in: ${stray.join(', ')}`);
});
