import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { gitRepo, initRepo } from '../support/git-repo.js';

/** What a mistyped argument gets back: a suggestion for a near stage, and never the text of a value typed as a name. */
describe('CLI: mistyped stage names', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('typo-app');
    for (const stage of ['dev', 'prod']) expect((await ws.run(['init', '--stage', stage])).code).toBe(0);
  }, 30_000);
  afterAll(() => ws.cleanup());

  it('asks "did you mean dev?" before telling how to create the mistyped stage', async () => {
    for (const command of [['list'], ['verify'], ['set', 'A', 'v'], ['rm', 'A'], ['export', '--format', 'json']]) {
      const [name, ...rest] = command;
      const r = await ws.run([name!, '--stage', 'dve', ...rest]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain('did you mean dev?');
      const suggestion = r.stderr.indexOf('did you mean dev?');
      const create = r.stderr.indexOf('init --stage dve');
      expect(create, name).toBeGreaterThan(suggestion);
    }
  });

  it('suggests nothing when no stage is near, and still says how to create it', async () => {
    const r = await ws.run(['list', '--stage', 'staging']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('did you mean');
    expect(r.stderr).toContain('init --stage staging');
  });
});

describe('CLI: an argument that is not a valid name is never echoed', () => {
  let ws: Workspace;
  // what a secret value looks like: not a valid secret, stage, app or option name
  const VALUE = 'sk_live-9f@Qz/x+Y=';
  beforeAll(async () => {
    ws = makeWorkspace('echo-app');
    initRepo(gitRepo(ws)); // review needs a repository
    expect((await ws.run(['init', '--stage', 'dev'])).code).toBe(0);
    expect((await ws.run(['set', '--stage', 'dev', 'API_KEY', 'v1'])).code).toBe(0);
  }, 30_000);
  afterAll(() => ws.cleanup());

  const cases: [string, string[]][] = [
    ['set: value as the name', ['set', '--stage', 'dev', VALUE, 'API_KEY']],
    ['set: value as the stage', ['set', '--stage', VALUE, 'API_KEY', 'v']],
    ['set: value as the type', ['set', '--stage', 'dev', 'API_KEY', 'v', '--type', VALUE]],
    ['set: value as an option', ['set', '--stage', 'dev', `--${VALUE}`]],
    ['rm: value as the name', ['rm', '--stage', 'dev', VALUE]],
    ['rm: value as an option', ['rm', '--stage', 'dev', `--${VALUE}`]],
    ['approve: value as the name', ['approve', '--stage', 'dev', VALUE]],
    ['approve --revoke: value as the name', ['approve', '--stage', 'dev', '--revoke', VALUE]],
    ['log: value as the name', ['log', '--stage', 'dev', VALUE]],
    ['list: value as an extra argument', ['list', '--stage', 'dev', VALUE]],
    ['list: value as the app', ['list', '--stage', 'dev', '--app', VALUE]],
    ['verify: value as an extra argument', ['verify', '--stage', 'dev', VALUE]],
    ['rotate: value as an extra argument', ['rotate', '--stage', 'dev', VALUE]],
    ['upgrade: value as an extra argument', ['upgrade', '--stage', 'dev', VALUE]],
    ['init: value as the app', ['init', '--stage', 'qa', '--app', VALUE]],
    ['export: value as the format', ['export', '--stage', 'dev', '--format', VALUE]],
    ['check: value as the stage', ['check', '--stage', VALUE]],
    ['run: value as the stage', ['run', '--stage', VALUE, '--', process.execPath, '-e', '0']],
    ['rewrap: value as the identity to remove', ['rewrap', '--stage', 'dev', '--remove', VALUE]],
    ['export: value as the k8s name', ['export', '--stage', 'dev', '--format', 'k8s-secret', '--name', VALUE]],
    ['review: value as the base', ['review', '--base', VALUE]],
    ['list: a dash value as the stage', ['list', `--stage=-${VALUE}`]],
  ];

  it.each(cases)('%s', async (_what, args) => {
    const r = await ws.run(args);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(VALUE);
    expect(r.stdout + r.stderr).not.toContain('sk_live');
    expect(r.stderr).toMatch(/not shown/);
  });

  it('still names a mistyped option or a wrong app that is a valid name', async () => {
    const a = await ws.run(['list', '--stage', 'dev', '--bogus']);
    expect(a.stderr).toContain('--bogus');
    const b = await ws.run(['list', '--stage', 'dev', '--app', 'other-app']);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('"other-app"');
    const c = await ws.run(['export', '--stage', 'dev', '--format', 'xml']);
    expect(c.stderr).toContain('"xml"');
    const d = await ws.run(['list', '--stage', '-dev']);
    expect(d.stderr).toContain("use '--stage=-XYZ'");
  });
});
