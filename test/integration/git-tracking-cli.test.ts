import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { type GitRepo, gitWorkspace } from '../support/git-repo.js';

/**
 * The quick start's trap: `git add secrets/dev.json` commits the header only and every value stays behind.
 * set, import and rotate name the files to add; list, check and verify flag what git does not track;
 * init and set warn when .gitignore hides the folder. Real git throughout.
 */
describe('git tracking of stage files', () => {
  let ws: Workspace;
  let repo: GitRepo;
  beforeEach(async () => {
    ({ ws, repo } = gitWorkspace('track-app'));
    fs.writeFileSync(path.join(ws.dir, 'package.json'), '{"name":"track-app"}\n');
  });
  afterEach(() => ws.cleanup());

  it('set names the files to add, header included while git does not track it', async () => {
    await repo.cli(['init', '--stage', 'dev']);
    const first = await repo.cli(['set', '--stage', 'dev', 'STRIPE_KEY', 'sk-1']);
    expect(first.stderr).toContain('git add secrets/dev.json secrets/dev/STRIPE_KEY.json');
    repo.commitAll('stage');
    const second = await repo.cli(['set', '--stage', 'dev', 'OTHER', 'v']);
    expect(second.stderr).toContain('git add secrets/dev/OTHER.json');
    expect(second.stderr).not.toContain('git add secrets/dev.json');
  });

  it('list, verify and check flag entry files git does not track, until they are added', async () => {
    await repo.cli(['init', '--stage', 'dev']);
    await repo.cli(['set', '--stage', 'dev', 'STRIPE_KEY', 'sk-1']);
    await repo.cli(['set', '--stage', 'dev', 'DB_URL', 'postgres://x']);
    // what the quick start used to say
    repo.ok('add', 'secrets/dev.json');
    repo.ok('commit', '-qm', 'header only');
    const list = await repo.cli(['list', '--stage', 'dev']);
    expect(list.stderr).toMatch(/not tracked by git.*secrets\/dev\/DB_URL\.json, secrets\/dev\/STRIPE_KEY\.json/);
    expect(list.stderr).toContain('git add secrets/dev/DB_URL.json secrets/dev/STRIPE_KEY.json');
    const verify = await repo.cli(['verify', '--stage', 'dev']);
    expect(verify.stdout + verify.stderr).toMatch(/not tracked by git.*secrets\/dev\/DB_URL\.json/);
    const check = await repo.run(['check']);
    expect(check.stderr).toMatch(/not tracked by git.*secrets\/dev\/STRIPE_KEY\.json/);

    repo.ok('add', 'secrets/');
    for (const args of [['list', '--stage', 'dev'], ['verify', '--stage', 'dev'], ['check']]) {
      const r = await repo.run(args);
      expect(r.stdout + r.stderr, args[0]).not.toContain('not tracked by git');
    }
  });

  it('check flags untracked entry files in every secrets folder of the repository', async () => {
    await repo.cli(['init', '--stage', 'dev']);
    const api = path.join(ws.dir, 'services', 'api');
    fs.mkdirSync(api, { recursive: true });
    fs.writeFileSync(path.join(api, 'serverless.yml'), 'service: api\nprovider:\n  name: aws\n');
    const inApi = (args: string[]) => ws.run(args, { cwd: api, env: repo.env });
    // an app of its own below the root app (its own --dir, as docs/several-services.md has it)
    expect((await inApi(['init', '--stage', 'dev', '--dir', 'secrets'])).code).toBe(0);
    expect((await inApi(['set', '--stage', 'dev', '--dir', 'secrets', 'API_TOKEN', 't'])).code).toBe(0);
    repo.ok('add', 'secrets/', 'services/api/secrets/dev.json');
    repo.ok('commit', '-qm', 'headers');
    const check = await repo.run(['check']);
    expect(check.stderr).toMatch(/not tracked by git.*services\/api\/secrets\/dev\/API_TOKEN\.json/);
    repo.ok('add', 'services/');
    expect((await repo.run(['check'])).stderr).not.toContain('not tracked by git');
  });

  it('import names the stage folder when it writes many files; rotate names the header and the folder', async () => {
    await repo.cli(['init', '--stage', 'dev']);
    repo.commitAll('init');
    fs.writeFileSync(path.join(ws.dir, 'app.env'), 'A=1\nB=2\nC=3\nD=4\nE=5\n');
    const imported = await repo.cli(['import', '--stage', 'dev', 'app.env']);
    expect(imported.stderr).toContain('git add secrets/dev/');
    repo.commitAll('values');
    const rotated = await repo.cli(['rotate', '--stage', 'dev']);
    expect(rotated.stderr).toContain('git add secrets/dev.json secrets/dev/');
  });

  it('init and set warn when .gitignore hides the secrets folder, naming the rule', async () => {
    fs.writeFileSync(path.join(ws.dir, '.gitignore'), 'node_modules/\nsecrets/\n');
    const init = await repo.cli(['init', '--stage', 'dev']);
    expect(init.stderr).toMatch(/git ignores secrets\/dev\.json \(\.gitignore:2: secrets\/\)/);
    const set = await repo.cli(['set', '--stage', 'dev', 'A', 'v']);
    expect(set.stderr).toMatch(/git ignores secrets\/dev\.json, secrets\/dev\/A\.json \(\.gitignore:2: secrets\/\)/);
    expect(set.stderr).not.toMatch(/commit.*git add secrets/);
  });

  it('from a subfolder, the paths to add are relative to where the command runs', async () => {
    await repo.cli(['init', '--stage', 'dev']);
    repo.commitAll('init');
    const sub = path.join(ws.dir, 'src');
    fs.mkdirSync(sub);
    const r = await ws.run(['set', '--stage', 'dev', 'A', 'v'], { cwd: sub, env: repo.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('git add ../secrets/dev/A.json');
  });
});

describe('git tracking outside a git repository', () => {
  it('says nothing about git', async () => {
    const ws = makeWorkspace('no-git-app');
    try {
      const env = { GIT_CEILING_DIRECTORIES: path.dirname(ws.dir) };
      for (const args of [
        ['init', '--stage', 'dev'],
        ['set', '--stage', 'dev', 'A', 'v'],
        ['list', '--stage', 'dev'],
        ['verify', '--stage', 'dev'],
        ['rotate', '--stage', 'dev'],
      ]) {
        const r = await ws.run(args, { env });
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
        expect(r.stdout + r.stderr, args[0]).not.toMatch(/git add|not tracked by git|git ignores/);
      }
    } finally {
      ws.cleanup();
    }
  });
});
