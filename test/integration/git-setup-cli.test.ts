import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { type GitRepo, gitWorkspace, gitRepo, initRepo } from '../support/git-repo.js';

/** git-setup on a format-3 stage: `git diff` of an entry file (secrets/<stage>/<NAME>.json) is the textconv view. */
describe('git-setup: readable diffs of entry files, with real git', () => {
  let ws: Workspace;
  let repo: GitRepo;

  beforeAll(async () => {
    ({ ws, repo } = gitWorkspace('diff-app'));
    await repo.cli(['init', '--stage', 'dev']);
    await repo.cli(['set', '--stage', 'dev', 'STRIPE_KEY', 'sk-first']);
    await repo.cli(['git-setup']);
    repo.commitAll('base');
  }, 60_000);
  afterAll(() => ws.cleanup());

  it('writes a pattern for the entry files next to the header one', () => {
    const lines = fs.readFileSync(path.join(ws.dir, '.gitattributes'), 'utf8').split('\n');
    expect(lines).toContain('secrets/*.json merge=stage-secrets diff=stage-secrets');
    expect(lines).toContain('secrets/*/*.json diff=stage-secrets');
    const attr = repo.ok('check-attr', 'diff', '--', 'secrets/dev/STRIPE_KEY.json');
    expect(attr).toBe('secrets/dev/STRIPE_KEY.json: diff: stage-secrets\n');
  });

  it('git diff of an entry file shows the textconv view, never the sealed bytes', async () => {
    await repo.cli(['set', '--stage', 'dev', 'STRIPE_KEY', 'sk-second']);
    const diff = repo.ok('diff', '--', 'secrets/dev/STRIPE_KEY.json');
    expect(diff).toMatch(/^-string {2}\S+ {2}sealed to [0-9a-f]{16} {2}tagged \(unverified\) {2}[0-9a-f]{12}$/m);
    expect(diff).toMatch(/^\+string {2}\S+ {2}sealed to [0-9a-f]{16} {2}tagged \(unverified\) {2}[0-9a-f]{12}$/m);
    expect(diff).not.toContain('"ct"');
    expect(diff).not.toContain('"nonce"');
  });

  it('is idempotent, and adds the entry pattern to a .gitattributes that has only the header one', async () => {
    const attributes = path.join(ws.dir, '.gitattributes');
    expect((await repo.cli(['git-setup'])).stderr).toContain('nothing to change');
    fs.writeFileSync(attributes, 'secrets/*.json merge=stage-secrets diff=stage-secrets\n');
    const r = await repo.cli(['git-setup']);
    expect(r.stderr).toContain('added to .gitattributes: secrets/*/*.json diff=stage-secrets');
    expect(fs.readFileSync(attributes, 'utf8')).toBe(
      'secrets/*.json merge=stage-secrets diff=stage-secrets\nsecrets/*/*.json diff=stage-secrets\n',
    );
  });

  it('with --dir elsewhere in the repository, both patterns name that folder', async () => {
    const other = makeWorkspace('monorepo');
    try {
      const o = gitRepo(other);
      initRepo(o);
      const app = path.join(other.dir, 'services', 'api');
      fs.mkdirSync(app, { recursive: true });
      const env = o.env;
      expect(
        (await other.run(['init', '--stage', 'dev', '--dir', 'config/secrets', '--app', 'api'], { cwd: app, env }))
          .code,
      ).toBe(0);
      expect(
        (await other.run(['set', '--stage', 'dev', '--dir', 'config/secrets', 'A', 'one'], { cwd: app, env })).code,
      ).toBe(0);
      const r = await other.run(['git-setup', '--dir', 'config/secrets'], { cwd: app, env });
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(other.dir, '.gitattributes'), 'utf8')).toBe(
        'services/api/config/secrets/*.json merge=stage-secrets diff=stage-secrets\n' +
          'services/api/config/secrets/*/*.json diff=stage-secrets\n',
      );
      o.commitAll('base');
      expect(
        (await other.run(['set', '--stage', 'dev', '--dir', 'config/secrets', 'A', 'two'], { cwd: app, env })).code,
      ).toBe(0);
      const diff = o.ok('diff', '--', 'services/api/config/secrets/dev/A.json');
      expect(diff).toMatch(/^\+string {2}.*tagged \(unverified\) {2}[0-9a-f]{12}$/m);
      expect(diff).not.toContain('"ct"');
    } finally {
      other.cleanup();
    }
  });
});
