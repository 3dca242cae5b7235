import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { type GitRepo, gitRepo, initRepo } from '../support/git-repo.js';

/**
 * `review --base REF` on a scripted history in real git: what a pull request does to the stage files,
 * read without any key, in text, markdown and json. Values never appear in any of them.
 */

const DEV = ['--stage', 'dev'];
const VALUES = ['base-A-value', 'base-B-value', 'base-C-value', 'base-D-value', 'prod-X-value', 'new-A-value'];

interface StageJson {
  stage: string;
  presence: string;
  added: string[];
  replaced: string[];
  removed: string[];
  approved: string[];
  revoked: string[];
  pending: string[];
  sealedToOtherKey: string[];
  header: Array<{ field: string; text: string }>;
  upgraded?: { from: number; to: number };
  unreadable?: { side: string; reason: string };
}

describe('review: a keyless summary of stage-file changes for pull requests', () => {
  let ws: Workspace;
  let repo: GitRepo;

  async function review(args: string[], expectedCode = 0) {
    const r = await repo.run(['review', '--base', 'main', ...args], true);
    expect(r.code, r.stderr).toBe(expectedCode);
    for (const value of VALUES) expect(r.stdout + r.stderr).not.toContain(value);
    return r;
  }

  async function reviewJson(args: string[] = []): Promise<Record<string, StageJson>> {
    const r = await review(['--format', 'json', ...args]);
    const parsed = JSON.parse(r.stdout) as { baseCommit: string; stages: StageJson[] };
    expect(parsed.baseCommit).toBe(repo.ok('rev-parse', 'main').trim());
    return Object.fromEntries(parsed.stages.map((s) => [s.stage, s]));
  }

  beforeAll(async () => {
    ws = makeWorkspace('review-app');
    repo = gitRepo(ws);
    initRepo(repo);
    await repo.cli(['init', ...DEV]);
    await repo.cli(['init', '--stage', 'prod']);
    for (const name of ['A', 'B', 'C', 'D']) await repo.cli(['set', ...DEV, name, `base-${name}-value`]);
    await repo.cli(['set', '--stage', 'prod', 'X', 'prod-X-value']);
    repo.commitAll('base');
  }, 120_000);

  afterAll(() => ws.cleanup());

  it('takes its options before the command name too (--base was once read as a command)', async () => {
    const before = await repo.run(['--stage', 'dev', '--base', 'main', '--format', 'json', 'review'], true);
    const after = await repo.run(['review', '--stage', 'dev', '--base', 'main', '--format', 'json'], true);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(before.stdout).toBe(after.stdout);
    expect(JSON.parse(before.stdout).stages.map((s: StageJson) => s.stage)).toEqual(['dev']);
  });

  beforeEach(() => {
    repo.ok('checkout', '-q', '-f', 'main');
    repo.ok('clean', '-qfdx');
    repo.g('branch', '-D', 'change');
    repo.ok('checkout', '-q', '-b', 'change');
  });

  it("a writer's pull request: added, replaced, removed and pending names, nothing flagged in the header", async () => {
    await repo.cli(['set', ...DEV, 'E', 'base-A-value'], true);
    await repo.cli(['set', ...DEV, 'A', 'new-A-value'], true);
    await repo.cli(['rm', ...DEV, 'B'], true);
    repo.commitAll('writer');

    const stages = await reviewJson();
    expect(stages.dev).toMatchObject({
      presence: 'both',
      added: ['E'],
      replaced: ['A'],
      removed: ['B'],
      approved: [],
      revoked: [],
      // a replaced value keeps its name's approval: only the new name waits for a key holder
      pending: ['E'],
      sealedToOtherKey: [],
      header: [],
    });
    expect(stages.prod).toMatchObject({ added: [], replaced: [], removed: [], pending: [], header: [] });

    const text = await review([]);
    expect(text.stdout).toContain('stage dev (secrets/dev.json)');
    expect(text.stdout).toMatch(/added: E\n/);
    expect(text.stdout).toMatch(/replaced: A\n/);
    expect(text.stdout).toMatch(/removed: B\n/);
    expect(text.stdout).toContain('pending approval: E');
    expect(text.stdout).toContain('npx --no-install stage-secrets approve --stage dev E');
    expect(text.stdout).toContain('stage prod: no change');
    expect(text.stdout).not.toContain('HEADER CHANGED');

    const strict = await review(['--strict'], 1);
    expect(strict.stderr).toContain('review --strict');

    const markdown = await review(['--format', 'markdown']);
    expect(markdown.stdout).toContain('| stage | added | replaced | removed |');
    expect(markdown.stdout).toContain('| `dev` | 1 | 1 | 1 |');
    expect(markdown.stdout).toContain('`npx --no-install stage-secrets approve --stage dev E`');
    expect(markdown.stdout).not.toContain('[!CAUTION]');
  });

  it('replacing a public key is flagged for a key holder; --strict fails on it', async () => {
    const dev = ws.readStage('dev');
    const prod = ws.readStage('prod');
    ws.writeStage('dev', { ...dev, publicKey: prod.publicKey });
    repo.commitAll('a forged key');

    const stages = await reviewJson();
    expect(stages.dev!.header.map((h) => h.field)).toEqual(['publicKey']);
    // every entry was sealed to the old key: the build refuses them, and review says so
    expect(stages.dev!.sealedToOtherKey).toEqual(['A', 'B', 'C', 'D']);
    const text = await review([]);
    expect(text.stdout).toContain('HEADER CHANGED: a key holder must check this');
    expect(text.stdout).toMatch(/public key [0-9a-f]{16} -> [0-9a-f]{16}/);
    const markdown = await review(['--format', 'markdown']);
    expect(markdown.stdout).toContain('> [!CAUTION]');
    await review(['--strict'], 1);
  });

  it('a key holder approves a name and revokes another: approved, withdrawn, and the approval epoch flagged', async () => {
    await repo.cli(['set', ...DEV, 'E', 'base-B-value'], true);
    repo.commitAll('writer adds E');
    repo.ok('branch', '-f', 'main', 'HEAD');
    await repo.cli(['approve', ...DEV, 'E']);
    await repo.cli(['approve', ...DEV, '--revoke', 'D']);
    repo.commitAll('key holder');

    const { dev } = await reviewJson(['--stage', 'dev']);
    expect(dev!.approved).toEqual(['E']);
    expect(dev!.revoked).toEqual(['D']);
    expect(dev!.pending).toEqual(['D']);
    expect(dev!.header).toEqual([{ field: 'approvalEpoch', text: 'approval epoch 0 -> 1' }]);
    repo.ok('checkout', '-q', '-f', 'main');
    repo.ok('reset', '-q', '--hard', 'HEAD~1');
  });

  it('an entry added on a branch after the stage was rotated on main: shown as sealed to a previous key', async () => {
    repo.ok('checkout', '-q', 'main');
    repo.ok('checkout', '-q', '-b', 'rotated');
    await repo.cli(['rotate', ...DEV]);
    repo.commitAll('rotate');
    repo.ok('checkout', '-q', 'change');
    await repo.cli(['set', ...DEV, 'LATE', 'base-C-value'], true);
    repo.commitAll('late add');
    repo.ok('merge', '-q', '--no-edit', 'rotated');

    const { dev } = await reviewJson(['--stage', 'dev']);
    expect(dev!.sealedToOtherKey).toEqual(['LATE']);
    expect(dev!.header.map((h) => h.field)).toEqual(['publicKey']);
    const text = await review(['--stage', 'dev']);
    expect(text.stdout).toContain('sealed to a previous key: LATE');
    expect(text.stdout).toContain('npx --no-install stage-secrets set --stage dev LATE');
    repo.g('branch', '-D', 'rotated');
  });

  it('an upgrade from v2 is reported as such, with no name changed', async () => {
    repo.ok('checkout', '-q', 'main');
    const doc = ws.readStage('dev');
    for (const entry of Object.values(doc.secrets as Record<string, Record<string, unknown>>)) delete entry.sealedTo;
    ws.writeStage('dev', { ...doc, version: 2 });
    repo.commitAll('dev as v2');
    repo.ok('checkout', '-q', '-B', 'change');
    await repo.cli(['upgrade', ...DEV], true);
    repo.commitAll('upgrade');

    // the base is the v2 commit
    const r = await repo.run(['review', '--base', 'HEAD~1', '--format', 'json', ...DEV], true);
    expect(r.code, r.stderr).toBe(0);
    const [dev] = (JSON.parse(r.stdout) as { stages: StageJson[] }).stages;
    expect(dev).toMatchObject({ upgraded: { from: 2, to: 3 }, added: [], replaced: [], removed: [], header: [] });
    repo.ok('checkout', '-q', 'main');
    repo.ok('reset', '-q', '--hard', 'HEAD~1');
  });

  it('a new stage and a removed one are both flagged; identity ids cannot inject markdown or mentions', async () => {
    await repo.cli(['init', '--stage', 'staging'], true);
    const staging = ws.readStage('staging');
    staging.identities[0].id = '@acme/security<img/src=x>[click](https://evil.example)';
    ws.writeStage('staging', staging);
    fs.rmSync(path.join(ws.dir, 'secrets', 'prod.json'));
    fs.rmSync(path.join(ws.dir, 'secrets', 'prod'), { recursive: true });
    repo.commitAll('new staging, prod gone');

    const stages = await reviewJson();
    expect(stages.staging).toMatchObject({ presence: 'added' });
    expect(stages.staging!.header.map((h) => h.field)).toEqual(['publicKey']);
    expect(stages.prod).toMatchObject({ presence: 'removed', removed: ['X'] });
    const markdown = (await review(['--format', 'markdown'])).stdout;
    expect(markdown).toContain('(new stage)');
    expect(markdown).toContain('(stage file removed)');
    expect(markdown).not.toMatch(/@acme|<img|\]\(https/);
    expect(markdown).toContain('&#64;&#8203;acme/security&lt;img/src=x&gt;\\[click\\]\\(https');
    await review(['--strict'], 1);
  });

  it('an entry left with conflict markers is unreadable: exit 2, named, the other stages still reviewed', async () => {
    const file = path.join(ws.dir, 'secrets', 'dev', 'A.json');
    fs.writeFileSync(file, `<<<<<<< HEAD\n${fs.readFileSync(file, 'utf8')}=======\n{}\n>>>>>>> other\n`);
    repo.commitAll('a broken merge');
    const r = await review(['--format', 'json'], 2);
    const stages = Object.fromEntries(
      (JSON.parse(r.stdout) as { stages: StageJson[] }).stages.map((s) => [s.stage, s]),
    );
    expect(stages.dev!.unreadable).toMatchObject({ side: 'change' });
    expect(stages.dev!.unreadable!.reason).toContain('conflict markers');
    expect(stages.prod).toMatchObject({ presence: 'both', header: [] });
    expect(r.stderr).toContain('cannot read the stage files of dev');
  });

  it('usage errors: no --base, a base that is no commit, a bad format', async () => {
    const none = await repo.run(['review'], true);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('review needs --base REF');
    const missing = await repo.run(['review', '--base', 'origin/nowhere'], true);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('git fetch origin main');
    const format = await repo.run(['review', '--base', 'main', '--format', 'html'], true);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('--format is one of text, markdown, json');
    const help = await repo.run(['review', '--help'], true);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: stage-secrets review --base REF');
  });
});
