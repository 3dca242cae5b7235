/**
 * The runtime files the plugin copies into each package (dist/runtime), as a bundler sees them:
 * serverless-esbuild inlines the wrapper's runtime into the function's bundle, in a service that may
 * not have the AWS SDK installed (or should not bundle it: Lambda's runtime has it, and the runtime
 * loads it from the task root). Bundled by the real esbuild from a folder with no node_modules, each
 * form must need nothing but Node's own modules.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

describe('the runtime files, inlined by esbuild where no package is installed', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-inline-'));
    for (const file of ['stage-secrets-runtime.cjs', 'stage-secrets-runtime.mjs'])
      fs.copyFileSync(path.join(REPO_ROOT, 'dist/runtime', file), path.join(dir, file));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [file, format] of [
    ['stage-secrets-runtime.mjs', 'esm'],
    ['stage-secrets-runtime.mjs', 'cjs'],
    ['stage-secrets-runtime.cjs', 'cjs'],
  ] as const) {
    it(`${file} bundles into ${format} output needing no package, not even the AWS SDK`, async () => {
      const result = await build({
        stdin: { contents: `export { bundledHandler } from './${file}';`, resolveDir: dir, loader: 'js' },
        absWorkingDir: dir,
        bundle: true,
        platform: 'node',
        format,
        write: false,
        logLevel: 'silent',
        metafile: true,
      }).catch((err: { errors?: Array<{ text: string }> }) => ({ failed: (err.errors ?? []).map((e) => e.text) }));
      expect('failed' in result ? result.failed : []).toEqual([]);
      const inputs = 'metafile' in result ? Object.keys(result.metafile!.inputs) : [];
      expect(inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
    });
  }
});
