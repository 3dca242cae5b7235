import * as fs from 'node:fs';
import * as path from 'node:path';
import { git } from '../git/git.js';
import { type GitTracking, gitTracking } from '../git/tracking.js';
import type { StageOptions } from './options.js';
import { Stage } from './stage.js';
import { realPathOf } from '../core/real-path.js';

/**
 * What git makes of a stage's files: the header `secrets/<stage>.json` alone holds no value, so a clone of a
 * repository that committed only it builds with no secrets. One place for every command that writes stage
 * files (set, import, rotate: which files to add), reads them (list, check, verify: which files git does not
 * track) or makes the folder (init: is it ignored), over what git says (src/git/tracking.ts). Outside a git work
 * tree (or without git) it says nothing.
 */

/** From this many files on, a hint names the stage folder instead of each file. */
const MAX_FILES_NAMED = 3;
/** From this many files on, a note lists the first ones and a count. */
const MAX_FILES_LISTED = 10;

/** The stage's header and the entry files of its folder, as they are on disk now. */
export function stageFiles(opts: StageOptions): string[] {
  const { dir, fileStage } = Stage.find(opts, 'read').location;
  return [path.join(dir, `${fileStage}.json`), ...entryFiles(path.join(dir, fileStage))];
}

/** Every header and entry file of a secrets folder (check covers all its stages). */
export function secretsFolderFiles(dir: string): string[] {
  const files: string[] = [];
  for (const item of readDir(dir)) {
    const full = path.join(dir, item.name);
    if (item.isFile() && item.name.endsWith('.json')) files.push(full);
    else if (item.isDirectory()) files.push(...entryFiles(full));
  }
  return files;
}

/** The entry file a secret NAME of `stage` is written to (format 3), next to its header. */
export function entryFileOf(opts: StageOptions, name: string): string {
  const { dir, fileStage } = Stage.find(opts, 'read').location;
  return path.join(dir, fileStage, `${name}.json`);
}

function entryFiles(folder: string): string[] {
  return readDir(folder)
    .filter((item) => item.isFile() && item.name.endsWith('.json'))
    .map((item) => path.join(folder, item.name));
}

function readDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return [];
  }
}

/**
 * For set, import and rotate: what to `git add` after writing the entry files `written` (none for a
 * format-2 stage, whose one file is the header), or why git will not take them. `wholeStage`: every file
 * of the stage changed (rotate).
 */
export function gitAddNote(
  written: string[],
  opts: StageOptions,
  what: string,
  wholeStage = false,
): string | undefined {
  const { dir, fileStage } = Stage.find(opts, 'read').location;
  const header = path.join(dir, `${fileStage}.json`);
  const entriesDir = path.join(dir, fileStage);
  const entries = written.filter((f) => fs.existsSync(f));
  const tracking = gitTracking([header, ...entries], opts.env ?? process.env);
  if (!tracking) return undefined;
  const ignored = gitIgnoredNote(tracking, opts.cwd);
  if (ignored) return ignored;
  const cwd = opts.cwd;
  const headerToo = wholeStage || entries.length === 0 || tracking.untracked.includes(header);
  const folder = (wholeStage || entries.length > MAX_FILES_NAMED) && fs.existsSync(entriesDir);
  const named = [
    ...(headerToo ? [relativeTo(cwd, header)] : []),
    ...(folder ? [`${relativeTo(cwd, entriesDir)}/`] : entries.map((f) => relativeTo(cwd, f))),
  ];
  return `commit ${what}: git add ${named.map(shellWord).join(' ')}`;
}

/** For list, check and verify: the stage files git does not track, which no clone or CI build has. */
export function gitUntrackedNote(files: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const tracking = gitTracking(files, env);
  if (!tracking || tracking.untracked.length === 0) return undefined;
  const ignoredNote = gitIgnoredNote(tracking, cwd);
  if (ignoredNote) return ignoredNote;
  const shown = tracking.untracked.map((f) => relativeTo(cwd, f));
  const one = shown.length === 1;
  const listed =
    shown.length > MAX_FILES_LISTED
      ? `${shown.slice(0, MAX_FILES_LISTED).join(', ')} and ${shown.length - MAX_FILES_LISTED} more`
      : shown.join(', ');
  // many files: the stage folders they are in (a header is named as itself)
  const toAdd =
    shown.length > MAX_FILES_NAMED
      ? [
          ...new Set(
            tracking.untracked.map((f) =>
              isEntryFile(f) ? `${relativeTo(cwd, path.dirname(f))}/` : relativeTo(cwd, f),
            ),
          ),
        ]
      : shown;
  return (
    `not tracked by git: ${listed}; a clone or a CI build does not have ${one ? 'it' : 'them'} ` +
    `(a build there runs without these secrets). Commit ${one ? 'it' : 'them'}: git add ${toAdd.map(shellWord).join(' ')}`
  );
}

/** An entry file `<stage>/<NAME>.json` has its stage's header `<stage>.json` next to its folder. */
function isEntryFile(file: string): boolean {
  return fs.existsSync(`${path.dirname(file)}.json`);
}

/** For init and set: the stage files a .gitignore rule hides, naming the rule and the fix. */
export function gitIgnoredNote(tracking: GitTracking, cwd: string | undefined): string | undefined {
  if (tracking.ignored.length === 0) return undefined;
  const rules = [...new Set(tracking.ignored.map((i) => i.rule))].join('; ');
  const files = tracking.ignored.map((i) => relativeTo(cwd, i.file));
  return (
    `warning: git ignores ${files.join(', ')} (${rules}): a clone or a CI build will not have the secrets. ` +
    'Remove that rule for the secrets folder (or add a !rule after it), then commit the folder with git add.'
  );
}

function relativeTo(cwd: string | undefined, file: string): string {
  const rel = path.relative(cwd ?? process.cwd(), file);
  return rel === '' ? '.' : rel;
}

/** A path as one shell word, for a command the user copies. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** How many commits of one file are read to answer approvedInHistory (newest first). */
const MAX_HISTORY_COMMITS = 500;

/**
 * The names among `names` whose approved entry some commit of any branch holds: the v3 entry file
 * `<stage>/<NAME>.json`, or the name in a v2 stage file. Only such an entry can be restored from history
 * with its approval; outside git there is none.
 */
export function approvedInHistory(opts: StageOptions, names: string[]): Set<string> {
  const env = opts.env ?? process.env;
  const { dir, fileStage } = Stage.find(opts, 'read').location;
  const top = git(['rev-parse', '--show-toplevel'], dir, env, true)?.trim();
  const found = new Set<string>();
  if (!top) return found;
  const root = realPathOf(top);
  const relOf = (file: string) =>
    path
      .relative(root, path.join(realPathOf(dir), path.relative(dir, file)))
      .split(path.sep)
      .join('/');
  const versions = (rel: string): string[] => {
    const commits = git(
      ['log', '--all', '--format=%H', `-n${MAX_HISTORY_COMMITS}`, '--', `:(literal)${rel}`],
      root,
      env,
      true,
    );
    return (commits ?? '')
      .split('\n')
      .filter(Boolean)
      .flatMap((commit) => git(['show', `${commit}:${rel}`], root, env, true) ?? []);
  };
  const approved = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && typeof (value as { approved?: unknown }).approved === 'string';
  const parsed = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined; // a conflicted or damaged version holds no entry we can restore as is
    }
  };
  const headerVersions = versions(relOf(path.join(dir, `${fileStage}.json`))).map(parsed);
  for (const name of names) {
    const inEntryFile = versions(relOf(path.join(dir, fileStage, `${name}.json`))).some((t) => approved(parsed(t)));
    const inHeader = headerVersions.some((h) => {
      const secrets = (h as { secrets?: Record<string, unknown> } | undefined)?.secrets;
      return typeof secrets === 'object' && secrets !== null && Object.hasOwn(secrets, name) && approved(secrets[name]);
    });
    if (inEntryFile || inHeader) found.add(name);
  }
  return found;
}
