import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyWorkspace, makeWorkspace, type Workspace } from '../support/cli.js';
import { gitRepo, initRepo, type GitRepo } from '../support/git-repo.js';

/** rm warns that git history still holds an old approved entry only when git says it does. */
describe('rm: the warning about the old entry in git history', () => {
  let ws: Workspace;
  let repo: GitRepo;
  const HISTORY = /old entry in git history/;
  // the stage and its first commit, made once through the CLI and git; each test gets a copy
  let prepared: Workspace;
  beforeAll(async () => {
    prepared = makeWorkspace('rm-app');
    const preparing = gitRepo(prepared);
    initRepo(preparing);
    await preparing.cli(['init', '--stage', 'dev']);
    preparing.commitAll('init');
  }, 30_000);
  afterAll(() => prepared.cleanup());
  beforeEach(() => {
    ws = copyWorkspace(prepared);
    repo = gitRepo(ws);
  });
  afterEach(() => ws.cleanup());

  it('is not given for an approved secret that was never committed', async () => {
    await repo.cli(['set', '--stage', 'dev', 'FRESH', 'v']);
    const r = await repo.cli(['rm', '--stage', 'dev', 'FRESH', '--force']);
    expect(r.stderr).toContain('removed FRESH');
    expect(r.stderr).not.toMatch(HISTORY);
  });

  it('is given for an approved secret a commit holds, naming the revoke command', async () => {
    await repo.cli(['set', '--stage', 'dev', 'KEPT', 'v']);
    repo.commitAll('kept');
    const r = await repo.cli(['rm', '--stage', 'dev', 'KEPT', '--force']);
    expect(r.stderr).toMatch(HISTORY);
    expect(r.stderr).toContain('approve --stage dev --revoke KEPT');
  });

  it('is not given when history holds the entry only while it was pending', async () => {
    await repo.cli(['set', '--stage', 'dev', 'LATER', 'v'], true); // no key: pending
    repo.commitAll('pending');
    await repo.cli(['approve', '--stage', 'dev', 'LATER']); // approved in the work tree only
    const r = await repo.cli(['rm', '--stage', 'dev', 'LATER', '--force']);
    expect(r.stderr).not.toMatch(HISTORY);
  });

  it('names only the names whose approved entry history holds', async () => {
    await repo.cli(['set', '--stage', 'dev', 'OLD', 'v']);
    repo.commitAll('old');
    await repo.cli(['set', '--stage', 'dev', 'NEW', 'v']);
    const r = await repo.cli(['rm', '--stage', 'dev', 'OLD', 'NEW', '--force']);
    expect(r.stderr).toMatch(/OLD had an approval, which the old entry in git history still carries/);
    expect(r.stderr).toContain('--revoke OLD');
    expect(r.stderr).not.toContain('--revoke OLD NEW');
  });
});
