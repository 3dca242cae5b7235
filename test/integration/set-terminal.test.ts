/**
 * `set` at a real terminal (a pseudo-terminal driven by test/support/tty-answer.py): the value is not
 * echoed as it is typed, it is asked twice, and the length is shown so a typo is caught.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeWorkspace, REPO_ROOT, type Workspace } from '../support/cli.js';

const ANSWER = path.join(REPO_ROOT, 'test/support/tty-answer.py');
let ws: Workspace;

function atTerminal(answers: Array<[string, string]>): Promise<{ code: number; shown: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [ANSWER, ws.dir, JSON.stringify(answers), process.execPath, CLI, 'set', '--stage', 'dev', 'TTY_SECRET'],
      { env: ws.env, timeout: 30_000 },
      (err, stdout) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, shown: stdout });
      },
    );
  });
}

beforeAll(async () => {
  ws = makeWorkspace();
  expect((await ws.run(['init', '--stage', 'dev'])).code).toBe(0);
});
afterAll(() => ws.cleanup());

describe('set at a terminal', () => {
  it('hides the value, asks twice, shows its length, and stores exactly what was typed', async () => {
    const value = 'typed-s3cr3t-at-a-tty';
    const r = await atTerminal([
      ['(hidden): ', value],
      ['confirm: ', value],
    ]);
    expect(r.code, r.shown).toBe(0);
    expect(r.shown).toContain('value of TTY_SECRET (hidden): ');
    expect(r.shown).toContain(`(${value.length} characters)`);
    expect(r.shown).toContain('added TTY_SECRET (string) in stage dev');
    expect(r.shown).not.toContain(value);
    const check = await ws.run([
      'run',
      '--stage',
      'dev',
      '--',
      process.execPath,
      '-e',
      `process.exit(process.env.TTY_SECRET === ${JSON.stringify(value)} ? 0 : 9)`,
    ]);
    expect(check.code, check.stderr).toBe(0);
  });

  it('writes nothing when the two entries differ, and never shows either', async () => {
    const before = await ws.run(['list', '--stage', 'dev', '--json']);
    const r = await atTerminal([
      ['(hidden): ', 'first-typing-1'],
      ['confirm: ', 'second-typing-2'],
    ]);
    expect(r.code).toBe(1);
    expect(r.shown).toContain('the two entries of TTY_SECRET differ; nothing was written');
    expect(r.shown).not.toMatch(/first-typing|second-typing/);
    expect((await ws.run(['list', '--stage', 'dev', '--json'])).stdout).toBe(before.stdout);
  });
});
