import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { codeReads } from '../../../src/contract/code-reads.js';
import { parseModule } from '../../../src/contract/parser.js';

async function reads(file: string, text: string) {
  return (await codeReads(await parseModule(file, text))).map((r) => `${r.name}:${r.line}:${r.how}`);
}

describe('codeReads', () => {
  it('CommonJS: member reads, bracket reads, destructuring, an alias of process.env', async () => {
    const text = [
      "'use strict';",
      'const { DB_URL, API_KEY: key = "x" } = process.env;',
      'const env = process.env;',
      'exports.main = async () => ({',
      '  a: process.env.STRIPE_KEY,',
      "  b: process.env['QUOTED_NAME'],",
      '  c: env.ALIASED_NAME,',
      '  d: process.env[`TEMPLATE_NAME`],',
      '});',
    ].join('\n');
    expect(await reads('handler.js', text)).toEqual([
      'API_KEY:2:process.env',
      'DB_URL:2:process.env',
      'STRIPE_KEY:5:process.env',
      'QUOTED_NAME:6:process.env',
      'ALIASED_NAME:7:process.env',
      'TEMPLATE_NAME:8:process.env',
    ]);
  });

  it('ES module: readSecret on a SecretClient, names read off secretEnv(), top-level await', async () => {
    const text = [
      "import { SecretClient } from 'stage-secrets/client';",
      "import { secretEnv } from 'stage-secrets/sst';",
      "const client = new SecretClient({ stage: 'dev' });",
      "const token = await client.readSecret('SERVICE_TOKEN', { useCache: false });",
      'const all = await secretEnv();',
      'export const handler = async () => [token, all.FROM_SST, (await secretEnv()).DIRECT_SST];',
      'const { PICKED } = await secretEnv({ stage: "dev" });',
    ].join('\n');
    expect(await reads('handler.mjs', text)).toEqual([
      'SERVICE_TOKEN:4:readSecret',
      'DIRECT_SST:6:secretEnv',
      'FROM_SST:6:secretEnv',
      'PICKED:7:secretEnv',
    ]);
  });

  it('TypeScript: lines are those of the source, types and interfaces stripped', async () => {
    const text = [
      "import type { Handler } from 'aws-lambda';",
      'interface Config {',
      '  url: string;',
      '}',
      '',
      'const config: Config = { url: process.env.DB_URL as string };',
      'enum Mode { A, B }',
      'export const handler: Handler = async () => {',
      '  const { API_KEY } = process.env as Record<string, string>;',
      '  return { config, key: API_KEY!, mode: Mode.A, other: process.env.OTHER_NAME! };',
      '};',
    ].join('\n');
    expect(await reads('handler.ts', text)).toEqual([
      'DB_URL:6:process.env',
      'API_KEY:9:process.env',
      'OTHER_NAME:10:process.env',
    ]);
  });

  it('bundled code (esbuild output of a CommonJS graph) still shows its reads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-bundle-'));
    try {
      fs.writeFileSync(path.join(dir, 'lib.js'), 'exports.url = () => process.env.BUNDLED_DB;\n');
      fs.writeFileSync(
        path.join(dir, 'entry.js'),
        "const lib = require('./lib');\nexports.main = () => [lib.url(), process.env['BUNDLED_KEY']];\n",
      );
      const out = await build({
        entryPoints: [path.join(dir, 'entry.js')],
        bundle: true,
        write: false,
        platform: 'node',
        format: 'cjs',
        logLevel: 'silent',
      });
      const bundled = out.outputFiles[0]!.text;
      expect((await reads('dist/bundle.js', bundled)).map((r) => r.split(':')[0]).sort()).toEqual([
        'BUNDLED_DB',
        'BUNDLED_KEY',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not report computed names, comments, strings, writes, or other objects', async () => {
    const text = [
      '// process.env.IN_LINE_COMMENT',
      '/* process.env.IN_BLOCK_COMMENT, readSecret("IN_COMMENT_TOO") */',
      'const name = "DYNAMIC";',
      'const a = process.env[name];',
      'const b = process.env["PART_" + name];',
      'const c = process.env[`T_${name}`];',
      'const d = "process.env.IN_STRING";',
      'const e = `process.env.IN_TEMPLATE ${a}`;',
      'process.env.WRITTEN = "x";',
      'delete process.env.DELETED;',
      'const f = config.env.NOT_PROCESS;',
      'const g = other.readSecret(name);',
      'const { ...rest } = process.env;',
      'module.exports = { a, b, c, d, e, f, g, rest };',
    ].join('\n');
    expect(await reads('handler.js', text)).toEqual([]);
  });

  it('JSX in a .js file parses (the TypeScript plugin in JSX mode), with the lines of the source', async () => {
    const text = [
      'const view = () => <div title="x">{1}</div>;',
      'export const handler = () => process.env.JSX_NAME;',
    ].join('\n');
    expect(await reads('view.js', text)).toEqual(['JSX_NAME:2:process.env']);
  });

  it('a file that does not parse throws, saying where', async () => {
    await expect(reads('broken.js', 'const = 1;\n')).rejects.toThrow(/\(1:6\)|line 1/);
  });
});
