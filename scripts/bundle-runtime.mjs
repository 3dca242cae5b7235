// Bundles the Lambda side of runtime mode (src/runtime) into self-contained files that the plugin copies
// into each function's package: stage-secrets itself is a devDependency and is not packaged. The AWS SDK
// is not in them, nor any import of it: they resolve @aws-sdk/client-kms (and, for references,
// @aws-sdk/client-ssm and @aws-sdk/client-secrets-manager: src/aws/references.ts) from the task root (Lambda's
// Node.js runtime has it).
// Two forms of the same code: CommonJS, which the framework packager's wrapper require()s; and an ES
// module, which serverless-esbuild inlines into the function's bundle. A CommonJS file inlined into an
// ES module bundle (custom.esbuild.format: esm) keeps its require() of node: modules, which throws there
// ("Dynamic require of ... is not supported"); an ES module inlines into either output format.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The runtime loads the KMS SDK from the task root (src/runtime/open-packaged.ts) and replaces the
 * library's default loader, `import('@aws-sdk/client-kms')`, before any use. Left in, that import would
 * make serverless-esbuild, which inlines this file, resolve the SDK: bundle it into every function, or
 * fail where it is not installed. Here it becomes a module that only says so, should it ever run.
 */
const sdkFromTaskRootOnly = {
  name: 'sdk-from-task-root-only',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) => ({ path: args.path, namespace: 'sdk-from-task-root-only' }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-from-task-root-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`stage-secrets runtime: ${args.path} is loaded from the task root, not bundled`)});`,
      loader: 'js',
    }));
  },
};

/**
 * Only the identity kinds the Lambda runtime can use (lambdaRuntime: true) go into the bundle: the
 * registry (src/identities/registry.ts, one import and one list line per kind) is cut down to them.
 * Each kind's flag is read from the module tsc just built in dist/.
 */
const registryFile = path.resolve('src/identities/registry.ts');
const kindImports = [...readFileSync(registryFile, 'utf8').matchAll(/^import \{ (\w+) \} from '\.\/([\w-]+)\.js';$/gm)];
const runtimeKinds = [];
const otherKinds = [];
for (const [, name, module] of kindImports) {
  const built = await import(pathToFileURL(path.resolve(`dist/src/identities/${module}.js`)).href);
  (built[name].lambdaRuntime ? runtimeKinds : otherKinds).push({ name, module });
}
if (runtimeKinds.length === 0) throw new Error('no identity kind in src/identities/registry.ts can run in Lambda');
const runtimeRegistry = {
  name: 'runtime-identity-kinds',
  setup(b) {
    b.onLoad({ filter: /src[\\/]identities[\\/]registry\.ts$/ }, () => ({
      contents: [
        ...runtimeKinds.map(({ name, module }) => `import { ${name} } from './${module}.js';`),
        `export const IDENTITY_KINDS = [${runtimeKinds.map(({ name }) => name).join(', ')}];`,
      ].join('\n'),
      loader: 'ts',
      resolveDir: path.dirname(registryFile),
    }));
  },
};

const common = {
  entryPoints: ['src/runtime/index.ts'],
  bundle: true,
  platform: 'node',
  // the oldest Lambda Node.js runtime that includes AWS SDK v3
  target: 'node18',
  plugins: [sdkFromTaskRootOnly, runtimeRegistry],
  legalComments: 'none',
  // less to parse at every cold start; names kept for stack traces and error classes
  minify: true,
  keepNames: true,
  banner: {
    js: '// stage-secrets runtime (generated; see src/runtime). Opens the secrets packaged for this function.',
  },
  logLevel: 'warning',
  metafile: true,
};

for (const [format, outfile] of [
  ['cjs', 'dist/runtime/stage-secrets-runtime.cjs'],
  ['esm', 'dist/runtime/stage-secrets-runtime.mjs'],
]) {
  const result = await build({ ...common, format, outfile });
  const inputs = Object.keys(result.metafile.inputs);
  const otherKindFiles = otherKinds.map(({ module }) => `src/identities/${module}.ts`);
  const stray = inputs.filter(
    (f) =>
      f.includes('node_modules') ||
      /src\/(store|cli|serverless|client)\//.test(f) ||
      f.endsWith('core/format.ts') ||
      otherKindFiles.includes(f),
  );
  if (stray.length)
    throw new Error(`the runtime bundle must stay self-contained and small; it pulled in: ${stray.join(', ')}`);
}
