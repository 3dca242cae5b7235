import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import type { SecretValue } from '../core/values.js';
import { assertFolderInside, type WriteFs } from '../store/safe-write.js';

/**
 * Each secret as a file DIR/<KEY> (mode 0600, DIR 0700) while the command runs. DIR must not
 * exist (it is created and removed whole) or be an empty folder of ours (only our files are removed,
 * the folder stays). Removal runs on every exit path, including a last-chance hook at process exit.
 */
export class FilesDir {
  private cleaned = false;
  private readonly onExit = (): void => this.cleanup();

  private constructor(
    readonly dir: string,
    private readonly created: boolean,
    private readonly files: string[],
  ) {
    process.once('exit', this.onExit);
  }

  /** `cwd`: where the user is; a folder in its repository must stay there (no link out of it). */
  static create(dir: string, secrets: ReadonlyMap<string, SecretValue>, cwd: string): FilesDir {
    assertFolderInside(fs as unknown as WriteFs, dir, cwd, '--files-dir');
    const created = prepareDir(dir);
    const holder = new FilesDir(dir, created, []);
    try {
      for (const [name, value] of secrets) {
        const file = path.join(dir, name);
        holder.files.push(file);
        // 'wx' (O_EXCL) never opens an existing path, a link included, in the folder checked above
        fs.writeFileSync(file, value.text, { flag: 'wx', mode: 0o600 });
        fs.chmodSync(file, 0o600);
      }
    } catch (err) {
      holder.cleanup();
      throw new StageSecretsError(
        'IO',
        `cannot write the secret files in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was left behind.`,
      );
    }
    return holder;
  }

  /** Removes the files (and the folder when we created it). Safe to call more than once. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    process.removeListener('exit', this.onExit);
    if (this.created) fs.rmSync(this.dir, { recursive: true, force: true });
    else for (const file of this.files) fs.rmSync(file, { force: true });
  }
}

/** Creates DIR with 0700, or accepts an existing empty folder we own. Returns whether we created it. */
function prepareDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new StageSecretsError(
        'USAGE',
        `--files-dir ${dir}: its parent folder does not exist; create the parent first.`,
      );
    }
    if (code !== 'EEXIST') throw new StageSecretsError('IO', `cannot create --files-dir ${dir} (${code ?? 'error'}).`);
  }
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory())
    throw new StageSecretsError('USAGE', `--files-dir ${dir} exists and is not a folder; pass a new path.`);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new StageSecretsError('USAGE', `--files-dir ${dir} belongs to another user; pass a new path.`);
  }
  if (fs.readdirSync(dir).length > 0) {
    throw new StageSecretsError(
      'USAGE',
      `--files-dir ${dir} is not empty; pass a new or empty folder (its content would be mixed with the secrets).`,
    );
  }
  fs.chmodSync(dir, 0o700);
  return false;
}
