import * as path from 'node:path';
import { isStageSecretsError } from '../core/errors.js';
import { isOsLitter, nameOfEntryFile, parseEntryFile } from '../core/entry-file.js';
import { FORMAT_VERSION, type SecretEntry, type StageFile } from '../core/format.js';
import { STAGE_NAME_PATTERN } from '../core/names.js';
import { blobTexts, git } from '../git/git.js';
import { parseStageText } from './stage-text.js';

/** A stage as a commit holds it: read, absent (no header at that path), or unreadable (and why). */
export type StageAtRevision = StageFile | undefined | { unreadable: string };

export function isUnreadable(version: StageAtRevision): version is { unreadable: string } {
  return version !== undefined && 'unreadable' in version;
}

/** Only regular files count: a committed link (mode 120000) or submodule is never followed or read. */
const REGULAR_MODES = new Set(['100644', '100755']);

interface TreeItem {
  mode: string;
  type: string;
  hash: string;
  /** path from the repository root, `/`-separated */
  path: string;
}

/**
 * Reads versions of the stages of one secrets folder from git, keylessly: a v1/v2 stage file, or a v3
 * header with the entry files of its folder. Blobs are read in one `git cat-file --batch` per revision
 * and kept by hash, so the entries that did not change between two revisions are parsed once.
 */
export class StageRevisions {
  private readonly entries = new Map<string, SecretEntry | { unreadable: string }>();

  /** `folder`: the secrets folder, relative to the repository root `root`, `/`-separated ('' for the root). */
  constructor(
    private readonly root: string,
    private readonly folder: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private rel(name: string): string {
    return this.folder === '' ? name : `${this.folder}/${name}`;
  }

  /** Stage names with a header (`<stage>.json`) in the folder at `rev`, sorted. */
  stagesAt(rev: string): string[] {
    return this.tree(rev, this.folder === '' ? '' : `${this.folder}/`)
      .map((item) => path.posix.basename(item.path))
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter((stage) => STAGE_NAME_PATTERN.test(stage))
      .sort();
  }

  /** The stage `stage` at `rev`. */
  at(rev: string, stage: string): StageAtRevision {
    const headerPath = this.rel(`${stage}.json`);
    const [item] = this.tree(rev, headerPath);
    if (!item) return undefined;
    if (item.type !== 'blob' || !REGULAR_MODES.has(item.mode)) {
      return { unreadable: `${headerPath} at ${rev} is not a regular file (a link or a folder)` };
    }
    let header: StageFile;
    try {
      header = parseStageText(this.blobs([item.hash]).get(item.hash) ?? '', headerPath);
    } catch (err) {
      if (isStageSecretsError(err)) return { unreadable: err.message };
      throw err;
    }
    if (header.version !== FORMAT_VERSION) return header;
    return this.withEntries(header, rev, this.rel(stage));
  }

  private withEntries(header: StageFile, rev: string, entryFolder: string): StageAtRevision {
    const items = this.tree(rev, `${entryFolder}/`).filter((item) => !isOsLitter(path.posix.basename(item.path)));
    const secrets: Record<string, SecretEntry> = {};
    const missing = items.filter((item) => !this.entries.has(item.hash)).map((item) => item.hash);
    const texts = missing.length ? this.blobs(missing) : new Map<string, string>();
    for (const item of items) {
      const name = nameOfEntryFile(path.posix.basename(item.path));
      if (name === undefined || item.type !== 'blob' || !REGULAR_MODES.has(item.mode)) {
        return { unreadable: `${entryFolder}/ at ${rev} holds something that is not an entry file NAME.json` };
      }
      if (!this.entries.has(item.hash)) this.entries.set(item.hash, parsedEntry(texts.get(item.hash), item.path));
      const entry = this.entries.get(item.hash)!;
      if ('unreadable' in entry) return entry;
      secrets[name] = entry;
    }
    return { ...header, secrets };
  }

  /** `git ls-tree` of one path (a file, or a folder's children when it ends in `/`). */
  private tree(rev: string, treePath: string): TreeItem[] {
    const out = git(['ls-tree', '-z', rev, '--', ...(treePath === '' ? [] : [treePath])], this.root, this.env) ?? '';
    return out
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, hash] = line.slice(0, tab).split(' ') as [string, string, string];
        return { mode, type, hash, path: line.slice(tab + 1) };
      });
  }

  /** The texts of blobs by hash, in one git process. */
  private blobs(hashes: string[]): Map<string, string> {
    return blobTexts(this.root, this.env, hashes, 256 * 1024 * 1024);
  }
}

function parsedEntry(text: string | undefined, where: string): SecretEntry | { unreadable: string } {
  try {
    return parseEntryFile(text ?? '', where);
  } catch (err) {
    if (isStageSecretsError(err)) return { unreadable: err.message };
    throw err;
  }
}
