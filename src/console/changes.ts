import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitTracking } from '../git/tracking.js';
import { findGitRoot } from '../git/root.js';

/** Digest of each file a stage owns: `<stage>.json` and anything under `<stage>/` (layout v3), no dotfiles. */
export type StageFilesSnapshot = Map<string, string>;

function walk(dir: string, into: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // locks and temp files of an atomic write
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, into);
    else if (e.isFile()) into.push(p);
  }
}

/** What the stage's files hold now, by digest only (the files hold sealed values; nothing is kept). */
export function snapshotStageFiles(secretsDir: string, stage: string): StageFilesSnapshot {
  const files: string[] = [];
  const header = path.join(secretsDir, `${stage}.json`);
  if (fs.existsSync(header)) files.push(header);
  walk(path.join(secretsDir, stage), files);
  const snapshot: StageFilesSnapshot = new Map();
  for (const file of files) {
    try {
      snapshot.set(file, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    } catch {
      // gone between listing and reading: counts as absent
    }
  }
  return snapshot;
}

import type { FileChanges } from './api.js';

export type { FileChanges } from './api.js';

/**
 * Files of the stage and git, relative to `cwd`: untracked ones, those a .gitignore hides, and the tracked
 * ones (a removed file git never had is nothing to add: `git add` would fail on it).
 */
export interface OutsideGit {
  untracked: string[];
  ignored: string[];
  tracked?: string[];
}

/** What git would leave out of a commit of the stage's `files` (before and after a change): none outside git. */
export function stageFilesOutsideGit(files: string[], cwd: string, env: NodeJS.ProcessEnv): OutsideGit {
  const tracking = gitTracking([...new Set(files)], env);
  if (!tracking) return { untracked: [], ignored: [] };
  const shown = (file: string) => path.relative(cwd, file) || file;
  const ignored = new Set(tracking.ignored.map((i) => i.file));
  return {
    untracked: tracking.untracked
      .filter((file) => !ignored.has(file))
      .map(shown)
      .sort(),
    ignored: [...ignored].map(shown).sort(),
    tracked: tracking.tracked.map(shown).sort(),
  };
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function changesBetween(
  before: StageFilesSnapshot,
  after: StageFilesSnapshot,
  cwd: string,
  message: string,
  outside: OutsideGit = { untracked: [], ignored: [] },
): FileChanges {
  const changed = new Set<string>();
  for (const [file, digest] of after) if (before.get(file) !== digest) changed.add(file);
  for (const file of before.keys()) if (!after.has(file)) changed.add(file);
  const shown = (file: string) => path.relative(cwd, file) || file;
  const files = [...changed].map(shown).sort();
  const inGit = files.length > 0 && findGitRoot(cwd) !== undefined;
  const tracked = outside.tracked && new Set(outside.tracked);
  const neverInGit = new Set(
    [...before.keys()].filter((file) => !after.has(file) && tracked && !tracked.has(shown(file))).map(shown),
  );
  const skip = new Set([...outside.ignored, ...neverInGit]);
  const untracked = outside.untracked.filter((file) => !files.includes(file));
  const toAdd = [...new Set([...files, ...untracked])].filter((file) => !skip.has(file)).sort();
  const git =
    inGit && toAdd.length > 0
      ? [`git add -- ${toAdd.map(shellWord).join(' ')}`, `git commit -m ${shellWord(message)}`]
      : [];
  return { files, untracked: inGit ? untracked : [], ignored: inGit ? outside.ignored : [], git, inGit };
}

/** The note for files a .gitignore hides: the build of a clone would miss them. */
export function ignoredNote(ignored: string[]): string | undefined {
  if (ignored.length === 0) return undefined;
  const list = ignored.join(', ');
  const one = ignored.length === 1;
  return (
    `git ignores ${list} (a .gitignore rule): a clone of the repository would miss ${one ? 'it' : 'them'}, and ` +
    `the build with ${one ? 'it' : 'them'}. Find the rule with: git check-ignore -v ${ignored.map(shellWord).join(' ')}; ` +
    'remove it and commit the stage folder.'
  );
}
