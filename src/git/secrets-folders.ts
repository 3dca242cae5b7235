/**
 * Every secrets folder of a repository, at a commit or in the work tree: each folder the plugin or `run`
 * could open. A folder counts when it is named `secrets` and holds a `<stage>.json` (what the upward search
 * stops at), or when a `<stage>.json` in it is a stage header by its content (what `--dir`,
 * `STAGE_SECRETS_DIR` or `custom.stageSecrets.dir` can point anywhere). For each, the files that are
 * neither a header nor an entry of one of its stages: a key holder reads them before a merge.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { isOsLitter, nameOfEntryFile } from '../core/entry-file.js';
import { STAGE_NAME_PATTERN } from '../core/names.js';
import { blobTexts, git } from './git.js';

const SECRETS_FOLDER = 'secrets';
/** The reader's cap on a stage file (store/): a larger file is no header any command would open. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** A file of a secrets folder that is no header or entry: `os-litter` is skipped by every reader. */
export interface UnexpectedFile {
  /** from the repository root, `/`-separated */
  file: string;
  kind: 'os-litter' | 'unexpected';
}

export interface SecretsFolder {
  /** from the repository root, `/`-separated ('' for the root itself) */
  folder: string;
  /** stages with a header in it, sorted */
  stages: string[];
  unexpected: UnexpectedFile[];
}

/** The stage a `<folder>/<stage>.json` path names, if its file name is one. */
function headerStage(file: string): string | undefined {
  const base = path.posix.basename(file);
  if (!base.endsWith('.json') || base.startsWith('.')) return undefined;
  const stage = base.slice(0, -'.json'.length);
  return STAGE_NAME_PATTERN.test(stage) ? stage : undefined;
}

/**
 * Whether a JSON text is a stage header (or a v1/v2 stage file): an object with `publicKey` and
 * `identities`. Texts that cannot hold the key (neither the word nor a `\u` escape) are not parsed.
 */
export function looksLikeStageHeader(text: string): boolean {
  if (!text.includes('publicKey') && !text.includes('\\u')) return false;
  try {
    const doc = JSON.parse(text) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'publicKey' in doc && 'identities' in doc;
  } catch {
    return false;
  }
}

/**
 * The secrets folders among `files` (every path of a tree, `/`-separated, from the repository root).
 * `isHeader(file)`: whether a candidate `<stage>.json` outside a folder named `secrets` is a stage header.
 * `extra`: folders that count whatever they hold (the one --dir names).
 */
export function secretsFoldersOf(
  files: readonly string[],
  isHeader: (file: string) => boolean,
  extra: readonly string[] = [],
): SecretsFolder[] {
  const folders = new Set(extra);
  for (const file of files) {
    if (headerStage(file) === undefined) continue;
    const folder = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
    if (folders.has(folder)) continue;
    if (path.posix.basename(folder) === SECRETS_FOLDER || isHeader(file)) folders.add(folder);
  }
  return [...folders].sort().map((folder) => describeFolder(folder, files));
}

function describeFolder(folder: string, files: readonly string[]): SecretsFolder {
  const prefix = folder === '' ? '' : `${folder}/`;
  const inside = files.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
  const stages = inside
    .filter((rel) => !rel.includes('/'))
    .map(headerStage)
    .filter((s): s is string => s !== undefined)
    .sort();
  const known = new Set(stages);
  const unexpected: UnexpectedFile[] = [];
  for (const rel of inside) {
    const parts = rel.split('/');
    const isHeaderFile = parts.length === 1 && known.has(headerStage(rel) ?? '');
    const isEntry = parts.length === 2 && known.has(parts[0]!) && nameOfEntryFile(parts[1]!) !== undefined;
    if (isHeaderFile || isEntry) continue;
    // the root folder's other files are the app's own; only a real secrets folder is read whole
    if (folder === '' && parts.length === 1) continue;
    if (folder === '' && !known.has(parts[0]!)) continue;
    unexpected.push({ file: prefix + rel, kind: isOsLitter(parts[parts.length - 1]!) ? 'os-litter' : 'unexpected' });
  }
  return { folder, stages, unexpected: unexpected.sort((a, b) => a.file.localeCompare(b.file)) };
}

/** The secrets folders of the tree of commit `rev`. */
export function secretsFoldersAt(
  root: string,
  rev: string,
  env: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
): SecretsFolder[] {
  const out = git(['ls-tree', '-r', '-l', '-z', '--full-tree', rev], root, env) ?? '';
  const files: string[] = [];
  const candidates = new Map<string, string>(); // path -> blob
  for (const line of out.split('\0').filter(Boolean)) {
    const tab = line.indexOf('\t');
    const [mode, type, hash, size] = line.slice(0, tab).split(/ +/) as [string, string, string, string];
    const file = line.slice(tab + 1);
    if (type !== 'blob') continue;
    files.push(file);
    const isCandidate = headerStage(file) !== undefined && mode !== '120000' && Number(size) <= MAX_HEADER_BYTES;
    if (isCandidate && path.posix.basename(path.posix.dirname(file)) !== SECRETS_FOLDER) candidates.set(file, hash);
  }
  const texts = blobTexts(root, env, [...new Set(candidates.values())], 1024 * 1024 * 1024);
  return secretsFoldersOf(files, (file) => looksLikeStageHeader(texts.get(candidates.get(file) ?? '') ?? ''), extra);
}

/**
 * The secrets folders of the work tree: the files git tracks and the untracked ones it does not ignore
 * (what a change brings; a key holder's unfinished rotate included). Undefined when git cannot list them.
 */
export function secretsFoldersInWorkTree(
  root: string,
  env: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
): SecretsFolder[] | undefined {
  const tracked = git(['ls-files', '-z', '-c', '--full-name'], root, env, true);
  const untracked = git(['ls-files', '-z', '-o', '--exclude-standard', '--full-name'], root, env, true);
  if (tracked === undefined || untracked === undefined) return undefined;
  // an installed package's files are no change of this repository (a committed one is tracked, and counts)
  const fresh = untracked.split('\0').filter((f) => f && !/(^|\/)node_modules\//.test(f));
  const files = [...new Set([...tracked.split('\0').filter(Boolean), ...fresh])].filter((f) => {
    try {
      return !nodeFs.lstatSync(path.join(root, f)).isDirectory(); // a deleted tracked file stays listed: gone
    } catch {
      return false;
    }
  });
  const isHeader = (file: string) => {
    const full = path.join(root, file);
    try {
      const stats = nodeFs.lstatSync(full);
      if (!stats.isFile() || stats.size > MAX_HEADER_BYTES) return false;
      return looksLikeStageHeader(nodeFs.readFileSync(full, 'utf8'));
    } catch {
      return false;
    }
  };
  return secretsFoldersOf(files, isHeader, extra);
}
