import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { isUsablePublicKey, publicKeyFingerprint } from '../core/crypto.js';
import { entryFileName, isOsLitter, nameOfEntryFile, parseEntryFile, serializeEntryFile } from '../core/entry-file.js';
import { StageSecretsError } from '../core/errors.js';
import {
  FORMAT_VERSION,
  parseStageFile,
  type IdentityRecordsSchema,
  serializeStageFile,
  serializeStageHeader,
  type SecretEntry,
  type StageFile,
} from '../core/format.js';
import { log } from '../core/log.js';
import { assertStageName } from '../core/names.js';
import { displayPath } from './display-path.js';
import type { StoreFs } from './fs-types.js';
import { isAlive, withLock, type LockOptions } from './lock.js';
import { describeFileKind, readRegularFile, type RegularRead } from './regular-file.js';
import { assertFolderInside, assertWritable, syncFolderOf, writeFileSafely, writeFilesSafely } from './safe-write.js';

export { displayPath };

const MAX_STAGE_FILE_BYTES = 64 * 1024 * 1024;
/** An entry is about 300 bytes; its value at most 10,000 characters of UTF-8. */
const MAX_ENTRY_FILE_BYTES = 256 * 1024;
/** What safe-write's tempPathFor makes: `.<name>.<pid>.<hex>.tmp`. */
const TEMP_FILE = /^\.[^/]+\.json\.(\d+)\.[0-9a-f]+\.tmp$/;

/** The text of an entry file; an entry that came from a v1/v2 file is sealed to that file's key. */
function entryText(entry: SecretEntry, publicKey: string): string {
  return serializeEntryFile({ ...entry, sealedTo: entry.sealedTo ?? publicKeyFingerprint(publicKey) });
}

/** Said on every write of a v1/v2 stage file. */
export function singleFileHint(where: string, stage: string): string {
  return (
    `${where} is a stage file of format version 2 (every secret in the one file), which only merges with the ` +
    'merge driver of git-setup. Rewrite it as version 3, one file per secret, which merges with plain git ' +
    `(no key needed; commit the result): npx --no-install stage-secrets upgrade --stage ${stage}`
  );
}

export interface StageStoreOptions {
  /** the secrets folder (default: <cwd>/secrets, or STAGE_SECRETS_DIR) */
  dir: string;
  /** used only to print paths relative to where the user is */
  cwd?: string;
  fs?: StoreFs;
  lock?: LockOptions;
  /** every identity kind's record schema, which a stage file's records must match (stages/stage-text.ts) */
  identities: IdentityRecordsSchema;
}

export interface ReadOptions {
  /** upgrade: a v1/v2 file next to a folder of entries is handled by the caller */
  leftoverEntries?: boolean;
  /**
   * v3: read only these entries (a write that touches them alone: set, rm). The stage handed to `update`'s
   * change then holds just those, and `names` every name of the folder. The header must stay as it is.
   */
  only?: ReadonlySet<string>;
}

/**
 * Stages on disk (a small store interface after chamber's): a v3 stage is its header `<stage>.json` and
 * one file per secret in `<stage>/`; a v1/v2 stage is one file. Knows files, locks and atomic writes; of
 * crypto only that a file's public key must be a usable one (and its fingerprint, for `sealedTo`).
 */
export class StageStore {
  readonly dir: string;
  private readonly fs: StoreFs;
  private readonly cwd: string;

  constructor(private readonly options: StageStoreOptions) {
    this.dir = path.resolve(options.cwd ?? process.cwd(), options.dir);
    this.fs = options.fs ?? (nodeFs as unknown as StoreFs);
    this.cwd = options.cwd ?? process.cwd();
  }

  filePath(stage: string): string {
    assertStageName(stage);
    return path.join(this.dir, `${stage}.json`);
  }

  /** The path as the user should see it in messages. */
  displayPath(stage: string): string {
    return this.shown(this.filePath(stage));
  }

  /** Any path of this store (an entry folder, the rotation file) as messages show it: relative to the caller's folder. */
  shown(file: string): string {
    return displayPath(this.cwd, file);
  }

  /** The folder of a v3 stage's entry files: `secrets/<stage>/`. */
  entriesDir(stage: string): string {
    assertStageName(stage);
    return path.join(this.dir, stage);
  }

  /** Where rotate keeps the new header while it re-seals the entries (see `update`). */
  rotationPath(stage: string): string {
    assertStageName(stage);
    return path.join(this.dir, `.${stage}.rotating.json`);
  }

  /**
   * The stage as stored: a v1/v2 file, or a v3 header with the entries of its folder. A v1/v2 file next
   * to a folder of entries is an upgrade that did not finish (or a merge with an upgraded branch): named,
   * with the command to run, unless `leftoverEntries` says the caller (upgrade) handles them.
   */
  read(stage: string, options: ReadOptions = {}): StageFile {
    const where = this.displayPath(stage);
    const parsed = this.readHeaderAt(this.filePath(stage), where, stage);
    if (parsed.version === FORMAT_VERSION) return { ...parsed, secrets: this.readEntries(stage, options.only) };
    if (!options.leftoverEntries && this.entryFolderKind(stage) !== 'absent') {
      const folder = this.shown(this.entriesDir(stage));
      throw new StageSecretsError(
        'FORMAT',
        `${where} is a version-${parsed.version} stage file (every secret in it), but ${folder}/ holds entry files ` +
          'of version 3 beside it: an upgrade did not finish, or a branch that upgraded the stage was merged with ' +
          `one that did not. Run: npx --no-install stage-secrets upgrade --stage ${stage} (it keeps both: the ` +
          `file's secrets, and the entries only the folder has), then check with verify.`,
      );
    }
    return parsed;
  }

  /** The header rotate wrote before it re-sealed the entries, when a rotate did not finish; else undefined. */
  readInterruptedRotation(stage: string): StageFile | undefined {
    const file = this.rotationPath(stage);
    if (!this.fs.existsSync(file)) return undefined;
    return this.readHeaderAt(file, this.shown(file), stage);
  }

  /**
   * Reads the entries of a v3 stage (none when its folder does not exist: git keeps no empty folder).
   * `only`: read just these names' files; every file name of the folder is still checked.
   */
  readEntries(stage: string, only?: ReadonlySet<string>): Record<string, SecretEntry> {
    const dir = this.entriesDir(stage);
    const shownDir = this.shown(dir);
    const kind = this.entryFolderKind(stage);
    if (kind === 'absent') return {};
    if (kind !== 'folder') {
      throw new StageSecretsError(
        'FORMAT',
        `${shownDir} is ${kind}, not a folder; the secrets of a stage are the files of a real folder, and stage-secrets never follows a link. ` +
          `If it came from a commit, review that commit; restore it from git: rm ${shownDir} && git checkout -- ${shownDir}`,
      );
    }
    if (!this.fs.readdirSync) throw new StageSecretsError('IO', `cannot list ${shownDir} on this file system.`);
    const secrets: Record<string, SecretEntry> = {};
    for (const fileName of [...this.fs.readdirSync(dir)].sort()) {
      if (TEMP_FILE.test(fileName)) continue; // a writer's temp file (removed when it is dead)
      if (isOsLitter(fileName)) continue; // never opened; review lists it
      const name = nameOfEntryFile(fileName);
      const file = path.join(dir, fileName);
      const shown = this.shown(file);
      const stray = (what: string) =>
        new StageSecretsError(
          'FORMAT',
          `${shownDir}/ holds ${what}; that folder holds only the entry files NAME.json of stage ${stage} ` +
            '(NAME a secret name), and anything else is refused rather than guessed at or followed. If it came from a ' +
            'commit, review that commit; remove it (git rm, or rm) and run the command again.',
        );
      if (name === undefined) {
        const printable = /^[\x21-\x7e]{1,200}$/.test(fileName)
          ? JSON.stringify(fileName)
          : 'a name with unprintable characters';
        throw stray(`${printable}, which is not NAME.json`);
      }
      if (only && !only.has(name)) continue;
      // no lstat first: the open below follows no link (ELOOP), blocks on no FIFO, and fstat tells the kind
      let result: RegularRead;
      try {
        result = readRegularFile(this.fs, file, MAX_ENTRY_FILE_BYTES, { noFollow: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') throw stray(`${shown}, which is a symbolic link`);
        throw new StageSecretsError('IO', `cannot read ${shown} (${code ?? 'error'}).`, { cause: err });
      }
      if (result.kind === 'not-regular') throw stray(`${shown}, which is ${result.what}`);
      if (result.kind === 'too-large') throw stray(`${shown}, which is over ${MAX_ENTRY_FILE_BYTES} bytes`);
      secrets[name] = parseEntryFile(result.text, shown, { worktreeFile: true });
    }
    return secrets;
  }

  /** The names of a v3 stage's entry files, sorted, from the folder listing alone (no file is read). */
  entryNames(stage: string): string[] {
    if (this.entryFolderKind(stage) !== 'folder' || !this.fs.readdirSync) return [];
    const names = [...this.fs.readdirSync(this.entriesDir(stage))].map((f) => nameOfEntryFile(f));
    return names.filter((n): n is string => n !== undefined).sort();
  }

  /** What is at `secrets/<stage>/`, never following a link. */
  private entryFolderKind(stage: string): 'absent' | 'folder' | string {
    let stats: ReturnType<StoreFs['lstatSync']>;
    try {
      stats = this.fs.lstatSync(this.entriesDir(stage));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
      throw err;
    }
    if (stats.isSymbolicLink()) return 'a symbolic link';
    return stats.isDirectory() ? 'folder' : describeFileKind(stats);
  }

  private readHeaderAt(file: string, where: string, stage: string): StageFile {
    let result: RegularRead;
    try {
      result = readRegularFile(this.fs, file, MAX_STAGE_FILE_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new StageSecretsError(
          'NOT_FOUND',
          `no stage file ${where} for stage ${stage}; create it with: npx --no-install stage-secrets init --stage ${stage}`,
        );
      }
      throw new StageSecretsError('IO', `cannot read ${where} (${code ?? 'error'}).`, { cause: err });
    }
    if (result.kind === 'not-regular') {
      throw new StageSecretsError(
        'FORMAT',
        `${where} is not a regular file (${result.what}); a stage file must be one. Restore it from git: rm ${where} && git checkout -- ${where}`,
      );
    }
    if (result.kind === 'too-large') {
      const size = result.size === undefined ? '' : ` ${result.size} bytes,`;
      throw new StageSecretsError(
        'FORMAT',
        `${where} is${size} over the ${MAX_STAGE_FILE_BYTES}-byte limit for a stage file.`,
      );
    }
    const text = result.text;
    const parsed = parseStageFile(text, where, { worktreeFile: true, identities: this.options.identities });
    if (parsed.stage !== stage) {
      throw new StageSecretsError(
        'FORMAT',
        `${where} says it belongs to stage ${parsed.stage}, not ${stage}; it was copied or renamed.`,
      );
    }
    if (!isUsablePublicKey(Buffer.from(parsed.publicKey, 'base64'))) {
      throw new StageSecretsError(
        'INTEGRITY',
        `${where}: its publicKey is not a usable X25519 public key (a point of small order), so nothing can be sealed to it or checked against it; the line was damaged or changed. Restore the file from git (git checkout -- ${where}) and review who changed it.`,
      );
    }
    return parsed;
  }

  /**
   * Read-modify-write under the stage lock. `change` gets the current stage (undefined if none) and
   * returns the new one. A v1/v2 stage is one file, written atomically (temp file, fsync, rename). A v3
   * stage is written file by file, each atomically, and only the files whose text changes: the entries
   * first, the header last (see writeV3 for the order that keeps a crash recoverable).
   */
  async update(
    stage: string,
    change: (current: StageFile | undefined, names: string[]) => Promise<StageFile> | StageFile,
    options: ReadOptions = {},
  ): Promise<StageFile> {
    const file = this.filePath(stage);
    // before anything is created: a committed secrets/ link must not take the folder, lock and temp files outside
    assertFolderInside(this.fs, this.dir, this.cwd);
    try {
      this.fs.mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new StageSecretsError(
        'IO',
        `cannot create the secrets folder ${this.dir} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
        { cause: err },
      );
    }
    return withLock(
      this.fs,
      path.join(this.dir, `.${stage}.json.lock`),
      async () => {
        const current = this.fs.existsSync(file) ? this.read(stage, options) : undefined;
        const partial = current?.version === FORMAT_VERSION && options.only !== undefined;
        const names = !current ? [] : partial ? this.entryNames(stage) : Object.keys(current.secrets).sort();
        // a link in place of the stage file is refused before `change` makes keys or seals anything
        assertWritable({ file, cwd: this.cwd }, this.fs);
        const next = await change(current, names);
        if (partial && serializeStageHeader(next) !== serializeStageHeader(current!)) {
          throw new Error('a change given some entries only must not change the header'); // a bug of ours
        }
        this.removeDeadTemps(this.dir, `.${path.basename(file)}.`);
        if (next.version === FORMAT_VERSION) {
          this.writeV3(stage, current, next);
        } else {
          this.writeAtomic(file, serializeStageFile(next));
          log().warn(singleFileHint(this.displayPath(stage), stage));
        }
        return next;
      },
      this.options.lock,
    );
  }

  /**
   * Writes the files of a v3 stage that differ from `current`. Order, so that a crash between two files
   * leaves whole files and a stage that opens or says what to re-run:
   * - entries, then removals, then the header: an upgrade that stops keeps its v1/v2 file (read refuses the
   *   half-written folder and names upgrade), an import that stops has some of its secrets;
   * - a new public key (rotate): the new header goes first to `.<stage>.rotating.json`, then the re-sealed
   *   entries, then the header, then the rotation file is removed. Until the header is written the old key
   *   opens what is not re-sealed yet and the rotation file the rest, so no crash leaves entries that no
   *   header can open; rotate run again finishes (stages/rotate.ts).
   */
  private writeV3(stage: string, current: StageFile | undefined, next: StageFile): void {
    const headerFile = this.filePath(stage);
    const dir = this.entriesDir(stage);
    const before = current?.version === FORMAT_VERSION ? current.secrets : {};
    const writes: Array<[string, string]> = [];
    for (const name of Object.keys(next.secrets).sort()) {
      const text = entryText(next.secrets[name]!, next.publicKey);
      const old = Object.hasOwn(before, name) ? entryText(before[name]!, current!.publicKey) : undefined;
      if (text !== old || current?.version !== FORMAT_VERSION) writes.push([name, text]);
    }
    const removals = Object.keys(before).filter((name) => !Object.hasOwn(next.secrets, name));
    const headerText = serializeStageHeader(next);
    const headerChanged = current?.version !== FORMAT_VERSION || serializeStageHeader(current) !== headerText;
    const rotating = current !== undefined && current.publicKey !== next.publicKey && writes.length > 0;
    if (writes.length > 0) {
      assertFolderInside(this.fs, dir, this.cwd);
      const kind = this.entryFolderKind(stage);
      if (kind !== 'absent' && kind !== 'folder') this.readEntries(stage); // throws, naming what is there
      this.fs.mkdirSync(dir, { recursive: true });
      this.removeDeadTemps(dir, '.');
    }
    if (rotating) this.writeAtomic(this.rotationPath(stage), headerText);
    // each entry is fsynced; the folder once for them all, before the header that makes them the stage's
    writeFilesSafely(
      writes.map(([name, text]) => ({
        target: { file: path.join(dir, entryFileName(name)), cwd: this.cwd },
        data: text,
      })),
      { fs: this.fs },
    );
    if (writes.length > 0) syncFolderOf(dir, this.fs);
    for (const name of removals) {
      const target = path.join(dir, entryFileName(name));
      try {
        this.fs.unlinkSync(target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          const shown = this.shown(target);
          throw new StageSecretsError('IO', `cannot remove ${shown} (${(err as NodeJS.ErrnoException).code}).`, {
            cause: err,
          });
        }
      }
    }
    if (headerChanged) this.writeAtomic(headerFile, headerText);
    // only a new key finishes a rotation: until then the rotation file may hold the key of some entries
    const newKey = current !== undefined && current.publicKey !== next.publicKey;
    if (newKey && this.fs.existsSync(this.rotationPath(stage))) this.fs.unlinkSync(this.rotationPath(stage));
  }

  /** Temp files of writers killed before their rename: never read, but they clutter the folder and git status. */
  private removeDeadTemps(dir: string, prefix: string): void {
    let names: string[];
    try {
      names = this.fs.readdirSync?.(dir) ?? [];
    } catch {
      return;
    }
    for (const name of names) {
      const match = name.startsWith(prefix) ? TEMP_FILE.exec(name) : null;
      const pid = match ? Number(match[1]) : NaN;
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
      try {
        this.fs.unlinkSync(path.join(dir, name));
      } catch {
        // removed by someone else, or not ours to remove
      }
    }
  }

  private writeAtomic(file: string, text: string): void {
    writeFileSafely({ file, cwd: this.cwd }, text, { fs: this.fs });
  }
}
