import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findGitRoot } from '../stages/locate.js';

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

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function changesBetween(
  before: StageFilesSnapshot,
  after: StageFilesSnapshot,
  cwd: string,
  message: string,
): FileChanges {
  const changed = new Set<string>();
  for (const [file, digest] of after) if (before.get(file) !== digest) changed.add(file);
  for (const file of before.keys()) if (!after.has(file)) changed.add(file);
  const files = [...changed].map((file) => path.relative(cwd, file) || file).sort();
  const inGit = files.length > 0 && findGitRoot(cwd) !== undefined;
  const git = inGit ? [`git add -- ${files.map(shellWord).join(' ')}`, `git commit -m ${shellWord(message)}`] : [];
  return { files, git, inGit };
}
