import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { isUsablePublicKey } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import { parseStageFile, serializeStageFile, type StageFile } from '../core/format.js';
import { assertStageName } from '../core/names.js';
import { displayPath } from './display-path.js';
import type { StoreFs } from './fs-types.js';
import { isAlive, withLock, type LockOptions } from './lock.js';
import { readRegularFile, type RegularRead } from './regular-file.js';
import { assertFolderInside, assertWritable, writeFileSafely } from './safe-write.js';

export { displayPath };

const MAX_STAGE_FILE_BYTES = 64 * 1024 * 1024;

export interface StageStoreOptions {
  /** the secrets folder (default: <cwd>/secrets, or STAGE_SECRETS_DIR) */
  dir: string;
  /** used only to print paths relative to where the user is */
  cwd?: string;
  fs?: StoreFs;
  lock?: LockOptions;
}

/**
 * Stage files on disk, one per stage (a small store interface after chamber's). Knows files, locks and
 * atomic writes; of crypto only that a file's public key must be a usable one.
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
    return displayPath(this.cwd, this.filePath(stage));
  }

  read(stage: string): StageFile {
    const file = this.filePath(stage);
    const where = this.displayPath(stage);
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
    const parsed = parseStageFile(text, where, { worktreeFile: true });
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
   * Read-modify-write under the stage lock. `change` gets the current file (undefined if none) and
   * returns the new one; the write is atomic (temp file, fsync, rename), so a crash leaves either
   * the old file or the new one, never a mix.
   */
  async update(
    stage: string,
    change: (current: StageFile | undefined) => Promise<StageFile> | StageFile,
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
        const current = this.fs.existsSync(file) ? this.read(stage) : undefined;
        // a link in place of the stage file is refused before `change` makes keys or seals anything
        assertWritable({ file, cwd: this.cwd }, this.fs);
        const next = await change(current);
        this.removeDeadTemps(file);
        this.writeAtomic(file, serializeStageFile(next));
        return next;
      },
      this.options.lock,
    );
  }

  /** Temp files of writers killed before their rename: never read, but they clutter the folder and git status. */
  private removeDeadTemps(file: string): void {
    const prefix = `.${path.basename(file)}.`;
    let names: string[];
    try {
      names = this.fs.readdirSync?.(path.dirname(file)) ?? [];
    } catch {
      return;
    }
    for (const name of names) {
      const pid =
        name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length).split('.')[0]) : NaN;
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
      try {
        this.fs.unlinkSync(path.join(path.dirname(file), name));
      } catch {
        // removed by someone else, or not ours to remove
      }
    }
  }

  private writeAtomic(file: string, text: string): void {
    writeFileSafely({ file, cwd: this.cwd }, text, { fs: this.fs });
  }
}
