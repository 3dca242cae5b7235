/**
 * The action's review input, run as the runner runs the bundle, in a real git repository: the review of
 * the stage files against the pull request's base lands in the step summary, also when the stage has a
 * pending name (the step then fails, as the build must, but the reviewer sees why), and a base branch the
 * shallow checkout lacks is fetched from origin.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';
import { type GitRepo, gitRepo, initRepo } from '../support/git-repo.js';
import { runAction } from '../support/github-runner.js';

const BUNDLE = path.join(REPO_ROOT, 'action', 'index.mjs');
const VALUES = ['review-base-value-1', 'review-added-value-2'];

let ws: Workspace;
let repo: GitRepo;
let env: NodeJS.ProcessEnv;

const action = (inputs: Record<string, string>, extra: NodeJS.ProcessEnv = {}, cwd = ws.dir) =>
  runAction(BUNDLE, { cwd, env: { ...env, ...extra }, inputs: { export: 'none', mask: 'true', ...inputs } });

beforeAll(async () => {
  ws = makeWorkspace('action-review-app');
  repo = gitRepo(ws);
  initRepo(repo);
  await repo.cli(['init', '--stage', 'ci']);
  await repo.cli(['set', '--stage', 'ci', 'BASE_NAME', VALUES[0]!]);
  repo.commitAll('base');
  const runnerConfig = path.join(ws.dir, '..', 'runner-config');
  fs.mkdirSync(runnerConfig);
  env = { ...repo.env, XDG_CONFIG_HOME: runnerConfig, STAGE_SECRETS_KEY_CI: readOnlyLocalKey(ws) };
}, 60_000);

afterAll(() => ws?.cleanup());

describe('the action with review: true', () => {
  it("a writer's pull request: the summary names the added, pending name and the step fails on it", async () => {
    repo.ok('checkout', '-q', '-b', 'pr');
    await repo.cli(['set', '--stage', 'ci', 'ADDED_NAME', VALUES[1]!], true);
    repo.commitAll('add a name');
    const r = await action({ stage: 'ci', review: 'true', 'review-base': 'main' });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^::error::stage-secrets: .*ADDED_NAME/m);
    expect(r.summary).toContain('### stage-secrets review against `main`');
    expect(r.summary).toContain('- **added:** `ADDED_NAME`');
    expect(r.summary).toContain('- **pending approval:** `ADDED_NAME`');
    for (const value of VALUES) expect(r.stdout + r.stderr + r.summary + r.outputFile).not.toContain(value);
  });

  it('an approved change: the step passes with the review in its summary', async () => {
    await repo.cli(['approve', '--stage', 'ci', 'ADDED_NAME']);
    repo.commitAll('approve');
    const r = await action({ stage: 'ci', review: 'true', 'review-base': 'main' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.summary).toContain('### stage-secrets: stage ci');
    expect(r.summary).toContain('- **added:** `ADDED_NAME`');
    expect(r.summary).not.toContain('pending approval');
  });

  it('on a pull_request event the base comes from GITHUB_BASE_REF and is fetched when the clone lacks it', async () => {
    const clone = path.join(ws.dir, '..', 'shallow-clone');
    repo.ok('clone', '-q', '--depth=1', '--branch', 'pr', `file://${ws.dir}`, clone);
    expect(repo.g('-C', clone, 'rev-parse', '--verify', '--quiet', 'origin/main').code).not.toBe(0);
    const r = await action({ stage: 'ci', review: 'true' }, { GITHUB_BASE_REF: 'main' }, clone);
    expect(r.code, r.stdout).toBe(0);
    expect(r.summary).toContain('### stage-secrets review against `origin/main`');
    expect(r.summary).toContain('- **added:** `ADDED_NAME`');
  });

  it('without a base (no review-base, not a pull_request event): exit 1 saying which input to set', async () => {
    const r = await action({ stage: 'ci', review: 'true' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/input review needs a base.*review-base/);
  });
});
