/**
 * A value with a NUL byte cannot be an environment variable (the OS cuts it there), so every `run`,
 * `export` and the plugin refuse the stage that holds one. Accepting it at `set`/`import` and calling it
 * OK in `verify` would leave a stage that every build refuses: `set`/`import` refuse it (exit 1, naming
 * the name, never the value) and `verify` flags one made by hand or by an older version (exit 2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/core/crypto.js';
import type { StageFile } from '../../src/core/format.js';
import { openStageFile } from '../../src/stages/open-file.js';
import { valueAad } from '../../src/stages/sealing.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const HIDDEN = 'after-the-nul-7c2e';
const WITH_NUL = `visible\0${HIDDEN}`;

let ws: Workspace;
let before: string;

beforeAll(async () => {
  ws = makeWorkspace('nul-app');
  expect((await ws.run(['init', '--stage', 'dev', '--local'])).code).toBe(0);
  expect((await ws.run(['set', '--stage', 'dev', 'GOOD'], { input: 'fine' })).code).toBe(0);
  before = ws.snapshot('dev');
});
afterAll(() => ws?.cleanup());
beforeEach(() => ws.restore('dev', before));

function expectRefused(r: { code: number | null; stdout: string; stderr: string }, name: string, label: string): void {
  expect(r.code, `${label}: ${r.stderr}`).toBe(1);
  expect(r.stderr, label).toMatch(new RegExp(`value of ${name} contains a NUL character`));
  expect(r.stdout + r.stderr, label).not.toContain(HIDDEN);
  expect(r.stdout + r.stderr, label).not.toContain('visible');
  expect(ws.snapshot('dev'), `${label} changed the stage file`).toBe(before);
}

describe('a value with a NUL byte', () => {
  it('set refuses it from stdin and from --from-file: exit 1, naming the name only', async () => {
    expectRefused(
      await ws.run(['set', '--stage', 'dev', 'NUL_STDIN'], { input: WITH_NUL }),
      'NUL_STDIN',
      'set (stdin)',
    );
    const file = path.join(ws.dir, 'value.bin');
    fs.writeFileSync(file, WITH_NUL);
    expectRefused(
      await ws.run(['set', '--stage', 'dev', 'NUL_FILE', '--from-file', file]),
      'NUL_FILE',
      'set --from-file',
    );
  });

  it('import refuses the whole file (nothing imported), naming the name only', async () => {
    const envFile = path.join(ws.dir, 'nul.env');
    fs.writeFileSync(envFile, `FIRST_OK=one\nNUL_IMPORT="${WITH_NUL}"\n`);
    expectRefused(await ws.run(['import', '--stage', 'dev', envFile]), 'NUL_IMPORT', 'import');
  });

  it('a JSON value spelling \\u0000 is fine: it is stored escaped, and run passes it', async () => {
    const r = await ws.run(['set', '--stage', 'dev', 'JSON_NUL', '--type', 'json'], { input: '"a\\u0000b"' });
    expect(r.code, r.stderr).toBe(0);
    const child = await ws.run([
      'run',
      '--stage',
      'dev',
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(String(process.env.JSON_NUL.length))',
    ]);
    expect(child.code, child.stderr).toBe(0);
    expect(child.stdout).toBe('10'); // "a\u0000b" with its quotes
  });

  it('verify flags one sealed by hand or by an older version (exit 2, naming it and the fix); run refuses the stage', async () => {
    const stage = ws.readStage('dev') as StageFile;
    const sealed = new Sealer(Buffer.from(stage.publicKey, 'base64')).seal(
      valueAad(stage, 'OLD_NUL', 'string'),
      WITH_NUL,
    );
    const opened = await openStageFile(stage, ws.env);
    stage.secrets.OLD_NUL = {
      type: 'string',
      updated: '2026-11-30T10:00:00.000Z',
      ...sealed,
      approved: opened.approvals.nameTag('OLD_NUL'),
    };
    ws.writeStage('dev', stage);
    try {
      const verify = await ws.run(['verify', '--stage', 'dev']);
      expect(verify.code, verify.stdout + verify.stderr).toBe(2);
      expect(verify.stdout).toMatch(
        /OLD_NUL: the value contains a NUL character.*npx --no-install stage-secrets set --stage dev OLD_NUL/,
      );
      expect(verify.stdout + verify.stderr).not.toContain(HIDDEN);
      const json = await ws.run(['verify', '--stage', 'dev', '--json']);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ nul: ['OLD_NUL'], failed: [], pending: [] });
      const run = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', '0']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/OLD_NUL contains a NUL character/);
    } finally {
      ws.restore('dev', before);
    }
  });
});
