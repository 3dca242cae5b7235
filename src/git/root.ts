import * as nodeFs from 'node:fs';
import * as path from 'node:path';

/** The nearest folder at or above `start` holding `.git` (a folder, or a file in a worktree). */
export function findGitRoot(start: string, fs: { existsSync(p: string): boolean } = nodeFs): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
