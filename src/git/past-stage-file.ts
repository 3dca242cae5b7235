import * as path from 'node:path';
import { git } from './git.js';

/** `text` with control and format characters replaced by `?` (git's subjects and names as printed). */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, '?');
}

/** The newest commit of HEAD's history that touched a stage file, and whether it deleted it. */
export interface PastStageFile {
  /** short hash and subject (control characters replaced), e.g. `1a2b3c4 tidy up secrets` */
  commit: string;
  deleted: boolean;
}

/**
 * Whether git history knows `file` (a stage file missing from the work tree): one `git log` limited to
 * that path. `undefined`: no commit of HEAD ever had it. 'unavailable': git could not answer (not
 * installed, not a repository, no commit yet), so only the work tree counts.
 */
export function pastStageFile(
  file: string,
  gitRoot: string,
  env: NodeJS.ProcessEnv,
): PastStageFile | undefined | 'unavailable' {
  const rel = path.relative(gitRoot, file).split(path.sep).join('/');
  const args = ['log', '-1', '--no-renames', '--no-color', '--no-show-signature', '--format=%h%x1f%s', '--name-status'];
  const out = git([...args, '--', `:(literal)${rel}`], gitRoot, env, true);
  if (out === undefined) return 'unavailable';
  const [first, ...rest] = out.split('\n');
  if (!first) return undefined;
  const [short, subject] = first.split('\x1f') as [string, string?];
  const subjectText = printable(subject ?? '').slice(0, 100);
  const deleted = rest.some((line) => line.startsWith('D\t'));
  return { commit: `${short}${subjectText ? ` ${subjectText}` : ''}`, deleted };
}
