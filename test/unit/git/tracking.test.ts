import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitTracking } from '../../../src/git/tracking.js';
import { stageFiles } from '../../../src/stages/git-tracking.js';
import type { Workspace } from '../../support/cli.js';
import { type GitRepo, gitWorkspace } from '../../support/git-repo.js';

/** What git says about files of a secrets folder, asked of a real git in a temp repository (the CLI makes the stage). */
describe('gitTracking', () => {
  let ws: Workspace;
  let repo: GitRepo;
  const opts = () => ({ stage: 'dev', cwd: ws.dir, env: repo.env });
  beforeEach(async () => {
    ({ ws, repo } = gitWorkspace('tracking-git-unit'));
    await repo.cli(['init', '--stage', 'dev']);
  }, 30_000);
  afterEach(() => ws.cleanup());

  it('says which files git does not track and which it does', async () => {
    await repo.cli(['set', '--stage', 'dev', 'A', 'v']);
    const files = stageFiles(opts());
    repo.ok('add', 'secrets/dev.json');
    expect(gitTracking(files, repo.env)).toEqual({ untracked: [files[1]], ignored: [], tracked: [files[0]] });
  });

  it('counts a removed file git tracks as tracked, and a removed one it never had as nothing', async () => {
    await repo.cli(['set', '--stage', 'dev', 'A', 'v']);
    await repo.cli(['set', '--stage', 'dev', 'B', 'v']);
    const [header, a, b] = stageFiles(opts()) as [string, string, string];
    repo.ok('add', 'secrets/dev.json', 'secrets/dev/A.json');
    fs.rmSync(a);
    fs.rmSync(b);
    expect(gitTracking([header, a, b], repo.env)).toEqual({ untracked: [], ignored: [], tracked: [header, a] });
  });

  it('names the .gitignore rule that hides a file', async () => {
    fs.writeFileSync(path.join(ws.dir, '.gitignore'), '# keep out\n*.json\n');
    const tracking = gitTracking(stageFiles(opts()), repo.env)!;
    expect(tracking.ignored).toEqual([
      { file: path.join(ws.dir, 'secrets', 'dev.json'), rule: '.gitignore:2: *.json' },
    ]);
  });

  it('says nothing outside a git work tree', async () => {
    fs.rmSync(path.join(ws.dir, '.git'), { recursive: true });
    const env = { ...repo.env, GIT_CEILING_DIRECTORIES: path.dirname(ws.dir) };
    expect(gitTracking(stageFiles(opts()), env)).toBeUndefined();
  });
});
