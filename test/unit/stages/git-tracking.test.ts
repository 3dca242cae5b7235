import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvedInHistory, gitUntrackedNote, stageFiles } from '../../../src/stages/git-tracking.js';
import { makeWorkspace, type Workspace } from '../../support/cli.js';
import { gitRepo, initRepo, type GitRepo } from '../../support/git-repo.js';
import { writeV2Stage } from '../../support/stage-files.js';

/** What git says about stage files, asked of a real git in a temp repository (the CLI makes the stages). */
describe('git-tracking', () => {
  let ws: Workspace;
  let repo: GitRepo;
  const opts = () => ({ stage: 'dev', cwd: ws.dir, env: repo.env });
  beforeEach(async () => {
    ws = makeWorkspace('tracking-unit');
    repo = gitRepo(ws);
    initRepo(repo);
    await repo.cli(['init', '--stage', 'dev']);
  }, 30_000);
  afterEach(() => ws.cleanup());

  it('lists the header and entry files of a stage', async () => {
    await repo.cli(['set', '--stage', 'dev', 'A', 'v']);
    const files = stageFiles(opts());
    expect(files.map((f) => path.relative(ws.dir, f))).toEqual(['secrets/dev.json', 'secrets/dev/A.json']);
  });

  it('sums up many untracked files: the first ten, a count, and the folders to add', async () => {
    fs.writeFileSync(path.join(ws.dir, 'many.env'), Array.from({ length: 12 }, (_, i) => `K${i}=v${i}`).join('\n'));
    await repo.cli(['import', '--stage', 'dev', 'many.env']);
    const note = gitUntrackedNote(stageFiles(opts()), ws.dir, repo.env)!;
    expect(note).toMatch(/^not tracked by git: secrets\/dev\.json, secrets\/dev\/K0\.json, .* and 3 more;/);
    expect(note).toMatch(/git add secrets\/dev\.json secrets\/dev\/$/);
  });

  it('finds an approved name in the history of a v2 stage file, not a pending one', async () => {
    await repo.cli(['set', '--stage', 'dev', 'APPROVED', 'v']);
    await repo.cli(['set', '--stage', 'dev', 'PENDING', 'v'], true);
    writeV2Stage(path.join(ws.dir, 'secrets'), 'dev');
    repo.commitAll('v2 stage');
    expect([...approvedInHistory(opts(), ['APPROVED', 'PENDING', 'NEVER'])]).toEqual(['APPROVED']);
  });

  it('says nothing outside a git work tree', async () => {
    fs.rmSync(path.join(ws.dir, '.git'), { recursive: true });
    const env = { ...repo.env, GIT_CEILING_DIRECTORIES: path.dirname(ws.dir) };
    expect(gitUntrackedNote(stageFiles(opts()), ws.dir, env)).toBeUndefined();
    expect(approvedInHistory({ ...opts(), env }, ['A']).size).toBe(0);
  });
});
