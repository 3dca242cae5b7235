/**
 * serverless.js / .ts configs evaluated without running them: the hostile inputs of issue 31 item 8 stop at
 * a bound, with the refusal named, in well under a second; the TypeScript starter's layout (imports through
 * tsconfig paths, a handlerPath(__dirname) helper) reads as the framework would load it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readScriptConfig } from '../../../src/contract/config-file.js';

let dir: string | undefined;
// the parser loads on first use: the bounds are timed without that load
beforeAll(async () => {
  await readScriptConfig('warm.ts', 'module.exports = { service: "warm" as string };\n');
});
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Reads the config and says how long it took. */
async function timed(file: string, text: string, root?: string) {
  const start = performance.now();
  try {
    return { doc: await readScriptConfig(file, text, root), ms: performance.now() - start };
  } catch (err) {
    return { error: (err as Error).message, ms: performance.now() - start };
  }
}

describe('bounded evaluation of a hostile serverless.js', () => {
  it('a literal that fans out (each list ten copies of the one before) is refused, by name, fast', async () => {
    const text = [
      "const a = ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'];",
      ...['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map(
        (name, i) => `const ${name} = [${Array(10).fill('abcdefgh'[i]).join(', ')}];`,
      ),
      "module.exports = { service: 'boom', custom: { i } };",
    ].join('\n');
    expect(text.length).toBeLessThan(800);
    const r = await timed('serverless.js', text);
    expect(r.error).toMatch(/^could not read it, because evaluating it took more than \d+ steps/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('spreads and object values that fan out the same way are refused too', async () => {
    const lines = ["const o0 = { a: 'x', b: 'y' };"];
    for (let i = 1; i <= 30; i++) lines.push(`const o${i} = { l: o${i - 1}, r: o${i - 1}, ...o${i - 1} };`);
    lines.push("module.exports = { service: 'boom', custom: o30 };");
    const r = await timed('serverless.js', lines.join('\n'));
    expect(r.error).toMatch(/^could not read it, because evaluating it took more than \d+ steps/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('a string that doubles is refused at the string bound', async () => {
    const lines = ["const s0 = 'xxxxxxxxxxxxxxxx';"];
    for (let i = 1; i <= 40; i++) lines.push(`const s${i} = s${i - 1} + s${i - 1};`);
    lines.push('module.exports = { service: s40 };');
    const r = await timed('serverless.js', lines.join('\n'));
    expect(r.error).toMatch(/^could not read it, because it builds a string longer than \d+ characters/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('template strings that double are refused at the same bound', async () => {
    const lines = ['const t0 = `yyyyyyyyyyyyyyyy`;'];
    for (let i = 1; i <= 40; i++) lines.push(`const t${i} = \`\${t${i - 1}}\${t${i - 1}}\`;`);
    lines.push("module.exports = { service: 'x', custom: { t: t40 } };");
    const r = await timed('serverless.js', lines.join('\n'));
    expect(r.error).toMatch(/^could not read it, because (it builds a string longer|evaluating it took more)/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('a helper that calls itself, or two bindings that name each other, stop at the depth bound', async () => {
    const recursion = await timed(
      'serverless.js',
      "const f = (x) => f(x + 'a');\nmodule.exports = { service: f('s') };\n",
    );
    expect(recursion.error).toMatch(/^could not read it, because its values or calls nest deeper than \d+ levels/);
    const cycle = await timed(
      'serverless.js',
      "const a = { b };\nconst b = { a };\nmodule.exports = { service: 'x', a };\n",
    );
    expect(cycle.error).toMatch(/^could not read it, because its values or calls nest deeper than \d+ levels/);
    const method = await timed(
      'serverless.js',
      'const o = { f: () => o.f() };\nmodule.exports = { service: o.f() };\n',
    );
    expect(method.error).toMatch(/^could not read it, because/);
    for (const r of [recursion, cycle, method]) expect(r.ms).toBeLessThan(1000);
  });

  it('a regular expression with a quantifier is never run (no backtracking a pull request can choose)', async () => {
    const text = [
      "const s = 'a'.concat('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!');",
      "module.exports = { service: s.replace(/^(a+)+$/, 'x'), custom: { plain: 'a\\\\b'.replace(/\\\\/g, '/') } };",
    ].join('\n');
    const r = await timed('serverless.js', text);
    expect(r.ms).toBeLessThan(1000);
    expect(r.doc?.value).toEqual({ service: undefined, custom: { plain: 'a/b' } });
  });

  it('a chain of imported modules past the bound is refused', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-chain-'));
    for (let i = 0; i < 260; i++) {
      fs.writeFileSync(path.join(dir, `m${i}.js`), `module.exports = require('./m${i + 1}.js');\n`);
    }
    fs.writeFileSync(path.join(dir, 'm260.js'), "module.exports = { service: 'deep' };\n");
    const file = path.join(dir, 'serverless.js');
    const r = await timed(file, "module.exports = require('./m0.js');\n", dir);
    expect(r.error).toMatch(/^could not read it, because it imports more than \d+ modules/);
  });

  it('process.env holds nothing: a config cannot read the environment of the check', async () => {
    process.env.CONFIG_SCRIPT_TEST_VAR = 'from-the-checker';
    try {
      const r = await timed(
        'serverless.js',
        "module.exports = { service: process.env.CONFIG_SCRIPT_TEST_VAR || 'none' };\n",
      );
      expect(r.doc?.value).toEqual({ service: 'none' });
    } finally {
      delete process.env.CONFIG_SCRIPT_TEST_VAR;
    }
  });
});

describe('the TypeScript starter layouts, read as the framework loads them', () => {
  const files: Record<string, string> = {
    'tsconfig.json':
      '{ "compilerOptions": { "baseUrl": ".", "paths": { "@functions/*": ["src/functions/*"], "@libs/*": ["src/libs/*"] } } }',
    'src/libs/handler-resolver.ts':
      "export const handlerPath = (context: string) => {\n  return `${context.split(process.cwd())[1].substring(1).replace(/\\\\/g, '/')}`;\n};\n",
    'src/functions/hello/index.ts':
      "import { handlerPath } from '@libs/handler-resolver';\nexport default { handler: `${handlerPath(__dirname)}/handler.main`, environment: { TOKEN: '${secret:HELLO_TOKEN}' } };\n",
    'src/functions/bye/index.ts':
      "import * as path from 'path';\nexport default { handler: path.join(path.relative(process.cwd(), __dirname), 'handler.main') };\n",
    'src/functions/index.ts': "export { default as hello } from './hello';\nexport { default as bye } from './bye';\n",
  };
  const expected = {
    hello: { handler: 'src/functions/hello/handler.main', environment: { TOKEN: '${secret:HELLO_TOKEN}' } },
    bye: { handler: 'src/functions/bye/handler.main' },
  };

  async function read(config: string) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-starter-'));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    fs.writeFileSync(path.join(dir, 'serverless.ts'), config);
    return readScriptConfig(path.join(dir, 'serverless.ts'), config, dir);
  }

  it('named imports from the functions index (re-exports), functions: { hello, bye }', async () => {
    const doc = await read(
      "import type { AWS } from '@serverless/typescript';\nimport { hello, bye } from './src/functions';\n" +
        "const config: AWS = { service: 'starter', functions: { hello, bye } };\nmodule.exports = config;\n",
    );
    expect((doc.value as { functions: unknown }).functions).toEqual(expected);
    expect(doc.lineOf(['functions', 'hello'])).toBe(3);
    // the variable in an imported module names that module
    expect(doc.strings.find((s) => s.text === '${secret:HELLO_TOKEN}')).toMatchObject({
      path: ['functions', 'hello', 'environment', 'TOKEN'],
      file: path.join(dir!, 'src/functions/hello/index.ts'),
      line: 2,
    });
  });

  it('a namespace import spread into functions, default imports through the alias, export default ... satisfies', async () => {
    const spread = await read(
      "import * as functions from '@functions/index';\nexport default { service: 'starter', functions: { ...functions } };\n",
    );
    expect((spread.value as { functions: unknown }).functions).toEqual(expected);
    const aliased = await read(
      "import type { AWS } from '@serverless/typescript';\nimport hello from '@functions/hello';\nimport bye from '@functions/bye';\n" +
        "export default { service: 'starter', functions: { hello, bye } } satisfies AWS;\n",
    );
    expect((aliased.value as { functions: unknown }).functions).toEqual(expected);
  });
});
