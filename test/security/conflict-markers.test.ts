/**
 * Two branches add secrets to the same stage file of format v2 (one file: v3 stages have one file per
 * secret, so this merge has no conflict there; see git-merge-v3.test.ts) and are merged in a clone that
 * never ran `git-setup`:
 * git leaves conflict markers in secrets/dev.json. "Not valid JSON ... restore it from git" would make the
 * user throw away the other branch's change. Every command recognises the markers instead (exit 2, as for
 * any stage file that cannot be used; nothing is written), names the file and the line of the first
 * marker, and says how to finish the merge; the way out it names (git-setup, merge --abort, merge again)
 * really merges entry by entry. Real git, the built CLI as a process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { parseStageText } from '../../src/stages/stage-text.js';

let ws: Workspace;
let gitEnv: NodeJS.ProcessEnv;

function git(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd: ws.dir, env: gitEnv, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function gitOk(...args: string[]): string {
  const r = git(...args);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
async function cli(args: string[], input?: string) {
  return ws.run(args, { env: gitEnv, input });
}

beforeAll(async () => {
  ws = makeWorkspace('merge-app');
  gitEnv = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  gitOk('init', '-q', '-b', 'main');
  gitOk('config', 'user.name', 'Test');
  gitOk('config', 'user.email', 'test@example.com');
  gitOk('config', 'commit.gpgsign', 'false');
  expect((await cli(['init', '--stage', 'dev', '--local'])).code).toBe(0);
  // a stage file of format v2, as teams have them until they run upgrade
  const doc = ws.readStage('dev');
  ws.writeStage('dev', { ...doc, version: 2 });
  gitOk('add', '-A');
  gitOk('commit', '-qm', 'base');
  gitOk('checkout', '-q', '-b', 'feature');
  expect((await cli(['set', '--stage', 'dev', 'FEATURE_TOKEN'], 'feature-value')).code).toBe(0);
  gitOk('commit', '-qam', 'feature adds FEATURE_TOKEN');
  gitOk('checkout', '-q', 'main');
  expect((await cli(['set', '--stage', 'dev', 'MAIN_TOKEN'], 'main-value')).code).toBe(0);
  gitOk('commit', '-qam', 'main adds MAIN_TOKEN');
  const merge = git('merge', '-q', 'feature');
  expect(merge.code, 'the merge without the driver should stop on a conflict').not.toBe(0);
}, 60_000);
afterAll(() => ws?.cleanup());

describe('a stage file with git conflict markers', () => {
  it('every command refuses it (exit 2) naming the file, the first marker line and how to merge; nothing is written', async () => {
    const conflicted = ws.snapshot('dev');
    const firstMarker = conflicted.split('\n').findIndex((l) => l.startsWith('<<<<<<<')) + 1;
    expect(firstMarker).toBeGreaterThan(0);
    const envFile = path.join(ws.dir, '..', 'more.env');
    fs.writeFileSync(envFile, 'MORE=1\n');
    const commands = [
      ['list', '--stage', 'dev'],
      ['verify', '--stage', 'dev'],
      ['set', '--stage', 'dev', 'THIRD', 'x'],
      ['rm', '--stage', 'dev', 'MAIN_TOKEN'],
      ['import', '--stage', 'dev', envFile],
      ['approve', '--stage', 'dev'],
      ['export', '--stage', 'dev', '--format', 'json'],
      ['run', '--stage', 'dev', '--', process.execPath, '-e', '0'],
      ['rotate', '--stage', 'dev'],
    ];
    for (const args of commands) {
      const r = await cli(args);
      const label = args.slice(0, 1).join(' ');
      expect(r.code, `${label}: ${r.stderr}`).toBe(2);
      expect(r.stderr, label).toContain(
        `secrets/dev.json has git merge conflict markers (the first at line ${firstMarker})`,
      );
      expect(r.stderr, label).toContain('git checkout --ours secrets/dev.json');
      expect(r.stderr, label).toContain('git checkout --theirs secrets/dev.json');
      expect(r.stderr, label).toMatch(/by hand, keeping the entries of both sides/);
      expect(r.stderr, label).toContain('npx --no-install stage-secrets git-setup, then git merge --abort');
      expect(r.stderr, label).not.toMatch(/not valid JSON|restore it from git/i);
      expect(ws.snapshot('dev'), `${label} changed the file`).toBe(conflicted);
    }
  });

  it('the way out it names works: git-setup, merge --abort, merge again keeps both entries', async () => {
    expect((await cli(['git-setup'])).code).toBe(0);
    gitOk('merge', '--abort');
    gitOk('add', '.gitattributes');
    gitOk('commit', '-qm', 'git-setup');
    const again = git('merge', '-q', '--no-edit', 'feature');
    expect(again.code, again.stderr).toBe(0);
    const merged = parseStageText(ws.snapshot('dev'), 'dev.json');
    expect(Object.keys(merged.secrets).sort()).toEqual(['FEATURE_TOKEN', 'MAIN_TOKEN']);
    const verify = await cli(['verify', '--stage', 'dev']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
