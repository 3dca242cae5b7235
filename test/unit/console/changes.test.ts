import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesBetween, ignoredNote } from '../../../src/console/changes.js';

describe('changesBetween', () => {
  let repo: string;
  let plain: string;
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'console-changes-'));
    fs.mkdirSync(path.join(repo, '.git'));
    plain = fs.mkdtempSync(path.join(os.tmpdir(), 'console-changes-plain-'));
  });
  afterAll(() => {
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(plain, { recursive: true, force: true });
  });
  const at = (dir: string, file: string) => path.join(dir, file);

  it('adds the untracked files of the stage to git add, leaves out ignored ones, and lists each kind', () => {
    const before = new Map([[at(repo, 'secrets/dev/A.json'), 'a1']]);
    const after = new Map([
      [at(repo, 'secrets/dev/A.json'), 'a2'],
      [at(repo, 'secrets/dev/B.json'), 'b'],
    ]);
    const outside = { untracked: ['secrets/dev.json', 'secrets/dev/B.json'], ignored: ['secrets/dev/B.json'] };
    const changes = changesBetween(before, after, repo, "secrets(dev): set A's value", outside);
    expect(changes.files).toEqual(['secrets/dev/A.json', 'secrets/dev/B.json']);
    expect(changes.untracked).toEqual(['secrets/dev.json']);
    expect(changes.ignored).toEqual(['secrets/dev/B.json']);
    expect(changes.git).toEqual([
      'git add -- secrets/dev.json secrets/dev/A.json',
      `git commit -m 'secrets(dev): set A'\\''s value'`,
    ]);
  });

  it('adds a removed file git tracks (the removal), not one git never had', () => {
    const before = new Map([
      [at(repo, 'secrets/dev/OLD.json'), 'o'],
      [at(repo, 'secrets/dev/NEW.json'), 'n'],
    ]);
    const outside = { untracked: [], ignored: [], tracked: ['secrets/dev.json', 'secrets/dev/OLD.json'] };
    const changes = changesBetween(before, new Map(), repo, 'm', outside);
    expect(changes.files).toEqual(['secrets/dev/NEW.json', 'secrets/dev/OLD.json']);
    expect(changes.git[0]).toBe('git add -- secrets/dev/OLD.json');
  });

  it('names a removed file, and gives no git command outside a repository', () => {
    const before = new Map([[at(plain, 'secrets/dev/A.json'), 'a']]);
    const changes = changesBetween(before, new Map(), plain, 'm', { untracked: ['x'], ignored: ['y'] });
    expect(changes).toEqual({ files: ['secrets/dev/A.json'], untracked: [], ignored: [], git: [], inGit: false });
  });

  it('says how to find the .gitignore rule, and nothing when no file is ignored', () => {
    expect(ignoredNote([])).toBeUndefined();
    expect(ignoredNote(['secrets/dev/B.json'])).toMatch(
      /^git ignores secrets\/dev\/B\.json \(a \.gitignore rule\): a clone of the repository would miss it.*git check-ignore -v secrets\/dev\/B\.json/,
    );
  });
});
