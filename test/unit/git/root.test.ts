import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findGitRoot } from '../../../src/git/root.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'git-root-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('findGitRoot', () => {
  it('takes a .git file (a worktree) as well as a folder', () => {
    fs.mkdirSync(path.join(root, 'wt/x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'wt/.git'), 'gitdir: elsewhere\n');
    fs.mkdirSync(path.join(root, 'repo/.git'), { recursive: true });
    fs.mkdirSync(path.join(root, 'repo/a/b'), { recursive: true });
    expect(findGitRoot(path.join(root, 'wt/x'))).toBe(path.join(root, 'wt'));
    expect(findGitRoot(path.join(root, 'repo/a/b'))).toBe(path.join(root, 'repo'));
  });
});
