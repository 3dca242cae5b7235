import * as path from 'node:path';

/** `target` as the user should see it: relative to `cwd` when below it ("." for `cwd` itself), else absolute. */
export function displayPath(cwd: string, target: string): string {
  const rel = path.relative(cwd, target);
  if (rel === '') return '.';
  return !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : target;
}
