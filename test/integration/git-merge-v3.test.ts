import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { type GitRepo, gitRepo } from '../support/git-repo.js';

/**
 * Format v3 with plain git: no git-setup, no merge driver, no .gitattributes. Two branches that add,
 * replace or remove different secrets touch different files, so every merge order and a rebase combine
 * them; the same secret on both sides is a conflict on that one file.
 */

const STAGE = ['--stage', 'dev'];

describe('git without set-up: v3 stages merge like code', () => {
  let ws: Workspace;
  let repo: GitRepo;

  /** The values the build gets, through run (it refuses anything pending, stale or damaged). */
  async function buildValues(): Promise<Record<string, string>> {
    const r = await repo.run([
      'run',
      ...STAGE,
      '--no-mask',
      '--',
      process.execPath,
      '-e',
      'const o={};for(const k of process.env.STAGE_SECRETS_KEYS.split(","))o[k]=process.env[k];console.log(JSON.stringify(o))',
    ]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim()) as Record<string, string>;
  }

  /** Every file of the stage, by path under secrets/, as bytes: what "equals applying both changes" compares. */
  function stageFiles(): Record<string, string> {
    const out: Record<string, string> = {};
    const dir = path.join(ws.dir, 'secrets');
    out['dev.json'] = fs.readFileSync(path.join(dir, 'dev.json'), 'utf8');
    for (const name of fs.readdirSync(path.join(dir, 'dev')).sort())
      out[`dev/${name}`] = fs.readFileSync(path.join(dir, 'dev', name), 'utf8');
    return out;
  }

  beforeAll(async () => {
    ws = makeWorkspace('team-app');
    repo = gitRepo(ws);
    repo.ok('init', '-q', '-b', 'main');
    repo.ok('config', 'user.name', 'Test');
    repo.ok('config', 'user.email', 'test@example.com');
    repo.ok('config', 'commit.gpgsign', 'false');
    await repo.cli(['init', ...STAGE]);
    for (const name of ['A', 'B', 'C', 'D']) await repo.cli(['set', ...STAGE, name, `base-${name}`]);
    repo.commitAll('base');
    expect(fs.existsSync(path.join(ws.dir, '.gitattributes'))).toBe(false);
  }, 60_000);
  afterAll(() => ws.cleanup());
  // a test that failed half-way leaves no merge behind for the next
  beforeEach(() => {
    repo.g('merge', '--abort');
    repo.g('rebase', '--abort');
    repo.ok('reset', '-q', '--hard');
    repo.ok('clean', '-qfd');
  });

  it('adds, replacements and removals of different secrets merge in both orders and rebase, with no conflict', async () => {
    repo.ok('checkout', '-q', '-b', 'left', 'main');
    await repo.cli(['set', ...STAGE, 'LEFT_NEW', 'left-new']);
    await repo.cli(['set', ...STAGE, 'A', 'left-A'], true); // a writer without the key replaces: approval kept
    await repo.cli(['rm', ...STAGE, 'B']);
    repo.commitAll('left');
    const left = stageFiles();
    repo.ok('checkout', '-q', '-b', 'right', 'main');
    await repo.cli(['set', ...STAGE, 'RIGHT_NEW', 'right-new']);
    await repo.cli(['set', ...STAGE, 'C', 'right-C']);
    await repo.cli(['rm', ...STAGE, 'D']);
    repo.commitAll('right');
    const right = stageFiles();

    // what applying both changes gives: the header untouched, each entry file from the side that changed it
    const expected: Record<string, string> = { 'dev.json': left['dev.json']! };
    for (const file of ['dev/A.json', 'dev/LEFT_NEW.json']) expected[file] = left[file]!;
    for (const file of ['dev/C.json', 'dev/RIGHT_NEW.json']) expected[file] = right[file]!;
    expect(left['dev.json']).toBe(right['dev.json']);
    const values = { A: 'left-A', C: 'right-C', LEFT_NEW: 'left-new', RIGHT_NEW: 'right-new' };

    const ways: Array<[string, string, string, string]> = [
      ['merge right into left', 'm1', 'left', 'merge'],
      ['merge left into right', 'm2', 'right', 'merge'],
      ['rebase left onto right', 'r1', 'left', 'rebase'],
    ];
    for (const [label, branch, from, how] of ways) {
      repo.ok('checkout', '-q', '-b', branch, from);
      repo.ok(how, '-q', from === 'left' ? 'right' : 'left');
      expect(repo.ok('status', '--porcelain'), label).toBe('');
      expect(stageFiles(), label).toEqual(expected);
      const verify = await repo.run(['verify', ...STAGE]);
      expect(verify.code, `${label}: ${verify.stdout}${verify.stderr}`).toBe(0);
      expect(await buildValues(), label).toEqual(values);
    }
  }, 120_000);

  it('the same secret changed on both sides is a conflict on that one file, and the tool names it and the way out', async () => {
    repo.ok('checkout', '-q', '-b', 'same-1', 'main');
    await repo.cli(['set', ...STAGE, 'A', 'value-of-side-one']);
    await repo.cli(['set', ...STAGE, 'OTHER_1', 'x']);
    repo.commitAll('same-1');
    repo.ok('checkout', '-q', '-b', 'same-2', 'main');
    await repo.cli(['set', ...STAGE, 'A', 'value-of-side-two']);
    await repo.cli(['set', ...STAGE, 'OTHER_2', 'y']);
    repo.commitAll('same-2');
    const merge = repo.g('merge', 'same-1');
    expect(merge.code).not.toBe(0);
    const unmerged = repo.ok('diff', '--name-only', '--diff-filter=U').trim().split('\n');
    expect(unmerged).toEqual(['secrets/dev/A.json']);
    for (const label of ['verify', 'run', 'list']) {
      const args = label === 'run' ? ['run', ...STAGE, '--', 'true'] : [label, ...STAGE];
      const r = await repo.run(args);
      expect(r.code, label).toBe(2);
      expect(r.stderr, label).toContain('secrets/dev/A.json has git merge conflict markers');
      expect(r.stderr, label).toContain('git checkout --ours secrets/dev/A.json');
      expect(r.stderr, label).toContain('stage-secrets set');
      expect(r.stderr + r.stdout, label).not.toContain('value-of-side');
    }
    repo.ok('checkout', '--ours', 'secrets/dev/A.json');
    repo.commitAll('merge same-1');
    expect(await buildValues()).toMatchObject({ A: 'value-of-side-two', OTHER_1: 'x', OTHER_2: 'y' });
  }, 120_000);

  it('delete against change of the same secret is a conflict on that one file only', async () => {
    repo.ok('checkout', '-q', '-b', 'del', 'main');
    await repo.cli(['rm', ...STAGE, 'C']);
    repo.commitAll('del');
    repo.ok('checkout', '-q', '-b', 'chg', 'main');
    await repo.cli(['set', ...STAGE, 'C', 'changed']);
    await repo.cli(['set', ...STAGE, 'UNRELATED', 'u']);
    repo.commitAll('chg');
    const merge = repo.g('merge', 'del');
    expect(merge.code).not.toBe(0);
    expect(merge.stdout).toMatch(/CONFLICT \(modify\/delete\): secrets\/dev\/C\.json/);
    expect(repo.ok('diff', '--name-only', '--diff-filter=U').trim()).toBe('secrets/dev/C.json');
    repo.ok('rm', '-q', 'secrets/dev/C.json'); // keep the deletion
    repo.commitAll('merge del');
    const values = await buildValues();
    expect(values).toMatchObject({ UNRELATED: 'u' });
    expect(values).not.toHaveProperty('C');
  }, 120_000);

  it('rotate against add: the added entry is sealed to the previous key, refused by the build and shown by verify and list', async () => {
    repo.ok('checkout', '-q', '-b', 'rot', 'main');
    await repo.cli(['rotate', ...STAGE]);
    repo.commitAll('rotate');
    repo.ok('checkout', '-q', '-b', 'add', 'main');
    await repo.cli(['set', ...STAGE, 'ADDED', 'sealed-to-old-key'], true);
    repo.commitAll('add');
    repo.ok('merge', '-q', 'rot');
    expect(repo.ok('status', '--porcelain')).toBe('');
    for (const args of [
      ['run', ...STAGE, '--', 'true'],
      ['export', ...STAGE, '--format', 'dotenv'],
    ]) {
      const r = await repo.run(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toMatch(/sealed to another key than the stage's.*: ADDED\./);
      expect(r.stderr, args[0]).toContain('npx --no-install stage-secrets set --stage dev ADDED');
      expect(r.stderr, args[0]).toMatch(/whoever held the previous key may read it/);
      expect(r.stdout + r.stderr).not.toContain('sealed-to-old-key');
    }
    const verify = await repo.run(['verify', ...STAGE]);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toMatch(/sealed to a previous key: ADDED/);
    const list = await repo.run(['list', ...STAGE, '--json']);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: 'ADDED', sealedToOtherKey: true }));
    const listText = await repo.run(['list', ...STAGE], true);
    expect(listText.code).toBe(0);
    expect(listText.stderr).toMatch(/sealed to a previous key .*: ADDED/);
    await repo.cli(['set', ...STAGE, 'ADDED', 'fresh']);
    expect(await buildValues()).toMatchObject({ ADDED: 'fresh', A: 'base-A' });
  }, 120_000);

  it('a v2 stage upgraded on one branch and written as v2 on another: the message says what to do, upgrade folds it in', async () => {
    repo.ok('checkout', '-q', '-b', 'v2-base', 'main');
    const doc = ws.readStage('dev');
    for (const entry of Object.values(doc.secrets as Record<string, Record<string, unknown>>)) delete entry.sealedTo;
    ws.writeStage('dev', { ...doc, version: 2 });
    repo.commitAll('a v2 stage');
    expect((await repo.run(['verify', ...STAGE])).code).toBe(0);
    const before = ws.readStage('dev');

    repo.ok('checkout', '-q', '-b', 'upgraded', 'v2-base');
    const up = await repo.cli(['upgrade', ...STAGE], true);
    expect(up.stderr).toMatch(/upgraded stage dev from format version 2 to 3/);
    const after = ws.readStage('dev');
    for (const [name, entry] of Object.entries(before.secrets as Record<string, Record<string, unknown>>)) {
      const { sealedTo, ...same } = after.secrets[name];
      expect(same, name).toEqual(entry);
      expect(sealedTo, name).toMatch(/^[0-9a-f]{16}$/);
    }
    await repo.cli(['set', ...STAGE, 'AFTER_UPGRADE', 'au']);
    repo.commitAll('upgrade');

    repo.ok('checkout', '-q', '-b', 'still-v2', 'v2-base');
    const write = await repo.cli(['set', ...STAGE, 'ON_V2', 'v2-value']);
    expect(write.stderr).toContain('npx --no-install stage-secrets upgrade --stage dev');
    repo.commitAll('still v2');

    const merge = repo.g('merge', 'upgraded');
    expect(merge.code).not.toBe(0);
    const r = await repo.run(['verify', ...STAGE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('keep the version-2 side');
    expect(r.stderr).toContain('npx --no-install stage-secrets upgrade --stage');
    repo.ok('checkout', '--ours', 'secrets/dev.json'); // this branch's side is the v2 file
    const half = await repo.run(['verify', ...STAGE]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('npx --no-install stage-secrets upgrade --stage dev');
    await repo.cli(['upgrade', ...STAGE], true);
    repo.commitAll('merge upgraded');
    expect(await buildValues()).toMatchObject({ ON_V2: 'v2-value', AFTER_UPGRADE: 'au', A: 'base-A' });
  }, 120_000);
});
