/**
 * Issue 31 item 8 through the CLI, as a pull request would plant it: `check` meets a handler linked to
 * /dev/zero, a fifo, a link out of the repository, a file past the size cap, and a serverless.js literal
 * that fans out. Each is refused by name ("could not read it, because ...") and the check still ends, fast,
 * with the readable services scanned.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SOURCE_BYTES } from '../../src/contract/source-files.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';

let ws: Workspace;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(ws.dir, file)), { recursive: true });
  fs.writeFileSync(path.join(ws.dir, file), text);
}

beforeAll(async () => {
  ws = makeWorkspace('hostile');
  fs.mkdirSync(path.join(ws.dir, '.git'));
  expect((await ws.run(['init', '--stage', 'dev'])).code).toBe(0);
  expect((await ws.run(['set', '--stage', 'dev', 'API_KEY', 'k-123456'])).code).toBe(0);
  write(
    'svc/serverless.yml',
    [
      'service: api',
      'provider:',
      '  name: aws',
      'functions:',
      '  zero:',
      '    handler: zero.main',
      '  fifo:',
      '    handler: fifo.main',
      '  outside:',
      '    handler: outside.main',
      '  big:',
      '    handler: big.main',
      '  fine:',
      '    handler: fine.main',
      '',
    ].join('\n'),
  );
  fs.symlinkSync('/dev/zero', path.join(ws.dir, 'svc', 'zero.js'));
  execFileSync('mkfifo', [path.join(ws.dir, 'svc', 'fifo.js')]);
  const outsideFile = path.join(ws.dir, '..', 'outside-handler.js');
  fs.writeFileSync(outsideFile, 'exports.main = () => process.env.API_KEY;\n');
  fs.symlinkSync(outsideFile, path.join(ws.dir, 'svc', 'outside.js'));
  write('svc/big.js', `exports.main = () => process.env.API_KEY;\n//${'x'.repeat(MAX_SOURCE_BYTES)}\n`);
  write(
    'svc/fine.js',
    "const { helper } = require('./zero-lib');\nexports.main = () => [helper(), process.env.API_KEY];\n",
  );
  fs.symlinkSync('/dev/zero', path.join(ws.dir, 'svc', 'zero-lib.js'));

  const fanOut = [
    "const a = ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'];",
    ...['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map(
      (name, i) => `const ${name} = [${Array(10).fill('abcdefgh'[i]).join(', ')}];`,
    ),
    "module.exports = { service: 'boom', functions: { f: { handler: 'h.main' } }, custom: { i } };",
  ].join('\n');
  write('boom/serverless.js', fanOut);
  // the YAML form: aliases of aliases (the yaml parser's own bound refuses it)
  let laughs = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < 12; i++)
    laughs += `a${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  write('laughs/serverless.yml', `service: laughs\n${laughs}`);
});

afterAll(() => ws?.cleanup());

describe('check over hostile files', () => {
  it('names each refusal and ends fast, still scanning what it can read', async () => {
    const start = Date.now();
    const r = await ws.run(['check', '--stage', 'dev'], { timeoutMs: 30_000 });
    const elapsed = Date.now() - start;
    const out = r.stdout + r.stderr;
    expect(r.signal, out).toBeNull();
    expect(out).toMatch(/svc\/zero\.js: could not read it, because it is not a regular file/);
    expect(out).toMatch(/svc\/zero-lib\.js: could not read it, because it is not a regular file/);
    expect(out).toMatch(/svc\/fifo\.js: could not read it, because it is not a regular file/);
    expect(out).toMatch(/svc\/outside\.js: could not read it, because it lies outside the repository/);
    expect(out).toMatch(
      new RegExp(`svc/big\\.js: could not read it, because it is larger than ${MAX_SOURCE_BYTES} bytes`),
    );
    expect(out).toMatch(/boom\/serverless\.js: could not read it, because evaluating it took more than \d+ steps/);
    expect(out).toMatch(/laughs\/serverless\.yml: cannot be read as a serverless config: Excessive alias count/);
    // the readable function is scanned: API_KEY is needed by api/fine
    expect(out).toMatch(/API_KEY[^\n]*fine/);
    expect(elapsed).toBeLessThan(15_000);
  });
});
