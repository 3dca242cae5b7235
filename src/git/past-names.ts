/**
 * Names that were secrets of a secrets folder at some commit of the current history: a name the code
 * reads stays needed after it left every stage (`rm --force`), so `check` and the plugin still report it
 * missing. Read from the paths of the entry files (`<folder>/<stage>/<NAME>.json`, format 3) in one
 * `git log`; no file is read, no key is needed. A shallow clone knows only the commits it fetched.
 */
import * as path from 'node:path';
import { nameOfEntryFile } from '../core/entry-file.js';
import { STAGE_NAME_PATTERN } from '../core/names.js';
import { git } from './git.js';
import { findGitRoot } from './root.js';

/** The secret names git history knows in `secretsDir` (absolute); empty outside git or before a first commit. */
export function pastSecretNames(secretsDir: string, env: NodeJS.ProcessEnv): Set<string> {
  const names = new Set<string>();
  const root = findGitRoot(secretsDir);
  if (!root) return names;
  const rel = path.relative(root, secretsDir).split(path.sep).join('/');
  if (rel.startsWith('..')) return names;
  const out = git(['log', '--format=', '--name-only', '--no-renames', '-z', 'HEAD', '--', rel || '.'], root, env, true);
  const prefix = rel === '' ? '' : `${rel}/`;
  for (const file of (out ?? '').split(/[\0\n]/)) {
    if (!file.startsWith(prefix)) continue;
    const parts = file.slice(prefix.length).split('/');
    if (parts.length !== 2 || !STAGE_NAME_PATTERN.test(parts[0]!)) continue;
    const name = nameOfEntryFile(parts[1]!);
    if (name !== undefined) names.add(name);
  }
  return names;
}
