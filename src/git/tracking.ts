import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realPathOf } from '../core/real-path.js';
import { git } from './git.js';

/** What git makes of some files of one secrets folder. Outside a git work tree (or without git) it says nothing. */
export interface GitTracking {
  /** files on disk git does not track (neither committed nor added), ignored ones included */
  untracked: string[];
  /** untracked files a .gitignore rule hides, with the rule as `source:line: pattern` */
  ignored: { file: string; rule: string }[];
  /** files git tracks, those removed from disk since included (`git add` takes their removal) */
  tracked: string[];
}

/**
 * Asks git about `files` (absolute paths of one secrets folder, removed ones allowed); undefined outside a
 * git work tree. One place for the CLI's notes and the console's `git add` (console/changes.ts).
 */
export function gitTracking(files: string[], env: NodeJS.ProcessEnv): GitTracking | undefined {
  const existing = files.filter((f) => fs.existsSync(f));
  if (existing.length === 0) return { untracked: [], ignored: [], tracked: [] };
  const from = path.dirname(existing[0]!);
  const top = git(['rev-parse', '--show-toplevel'], from, env, true)?.trim();
  if (!top) return undefined;
  const root = realPathOf(top);
  const inRepo = new Map<string, string>(); // path relative to the root, as git prints it -> the file
  for (const file of files) {
    const rel = path.relative(root, realPathOf(file));
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    inRepo.set(rel.split(path.sep).join('/'), file);
  }
  if (inRepo.size === 0) return undefined;
  const pathspecs = [...inRepo.keys()].map((rel) => `:(literal)${rel}`);
  const listed = git(['ls-files', '-z', '--full-name', '--', ...pathspecs], root, env, true);
  if (listed === undefined) return undefined;
  const trackedRel = new Set(listed.split('\0').filter(Boolean));
  const tracked = [...inRepo].filter(([rel]) => trackedRel.has(rel)).map(([, file]) => file);
  const onDisk = new Set(existing);
  const untrackedRel = [...inRepo].filter(([rel, file]) => !trackedRel.has(rel) && onDisk.has(file));
  const untracked = untrackedRel.map(([, file]) => file);
  const ignored: GitTracking['ignored'] = [];
  if (untracked.length) {
    const relUntracked = untrackedRel.map(([rel]) => rel);
    // exit 1: no rule hides them
    const out =
      spawnSync('git', ['check-ignore', '-v', '-z', '--stdin'], {
        cwd: root,
        env,
        input: relUntracked.map((rel) => `${rel}\0`).join(''),
        encoding: 'utf8',
      }).stdout ?? '';
    const fields = out.split('\0');
    for (let i = 0; i + 3 < fields.length; i += 4) {
      const [source, line, pattern, rel] = fields.slice(i, i + 4) as [string, string, string, string];
      const file = inRepo.get(rel);
      if (file) ignored.push({ file, rule: `${source}:${line}: ${pattern}` });
    }
  }
  return { untracked, ignored, tracked };
}
