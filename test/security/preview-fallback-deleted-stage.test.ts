/**
 * A fallback pattern with a fixed part can still match a real stage: `pr*` matches `prod`. A writer who
 * deletes secrets/prod.json in a commit would then make the prod build run on dev's secrets. A stage
 * whose file is in git history (deleted, or missing from the work tree) never falls back; the error
 * names the commit. A stage that never had a file still falls back.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const report = `console.log('CHILD-STARTED ' + process.env.STAGE_SECRETS_STAGE)`;

describe('a fallback never applies to a stage whose file git history knows', () => {
  let ws: Workspace;
  let env: NodeJS.ProcessEnv;
  let deletion: string;

  const git = (args: string[]) => {
    const r = spawnSync('git', args, { cwd: ws.dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  const runWith = (stage: string, fallback: string) =>
    ws.run(['run', '--stage', stage, '--fallback', fallback, '--', process.execPath, '-e', report], { env });

  beforeAll(async () => {
    ws = makeWorkspace('shop');
    env = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
    git(['init', '-q', '-b', 'main']);
    git(['config', 'user.name', 'Writer']);
    git(['config', 'user.email', 'w@example.com']);
    git(['config', 'commit.gpgsign', 'false']);
    for (const stage of ['dev', 'prod', 'qa']) {
      expect((await ws.run(['init', '--stage', stage], { env })).code).toBe(0);
      expect((await ws.run(['set', '--stage', stage, 'API_KEY', `${stage}-value-1234567`], { env })).code).toBe(0);
    }
    git(['add', '-A']);
    git(['commit', '-qm', 'add the stages']);
    fs.rmSync(ws.stageFile('prod')); // the writer's change
    git(['add', '-A']);
    git(['commit', '-qm', 'tidy up secrets']);
    deletion = git(['rev-parse', '--short', 'HEAD']);
  }, 60_000);
  afterAll(() => ws.cleanup());

  it("run --stage prod --fallback 'pr*=dev' is refused, names the deleting commit, and starts no child", async () => {
    const r = await runWith('prod', 'pr*=dev');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toContain('CHILD-STARTED');
    expect(r.stderr).toContain('secrets/prod.json');
    expect(r.stderr).toContain(`${deletion} tidy up secrets`);
    expect(r.stderr).toContain('never falls back');
  });

  it('export through STAGE_SECRETS_FALLBACKS is refused the same way and prints nothing', async () => {
    const r = await ws.run(['export', '--stage', 'prod', '--format', 'json'], {
      env: { ...env, STAGE_SECRETS_FALLBACKS: 'pr*=dev' },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(deletion);
  });

  it('a stage file deleted in the work tree only (still in HEAD) does not fall back either', async () => {
    fs.rmSync(ws.stageFile('dev'), { force: true });
    try {
      const r = await runWith('dev', 'd*=qa');
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).not.toContain('CHILD-STARTED');
      expect(r.stderr).toContain('secrets/dev.json');
      expect(r.stderr).toContain('add the stages');
    } finally {
      git(['checkout', '--', 'secrets/dev.json']);
    }
  });

  it('pr-7, which never had a file, still falls back to dev', async () => {
    const r = await runWith('pr-7', 'pr*=dev');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('CHILD-STARTED pr-7');
  });
});
