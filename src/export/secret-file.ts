import * as fs from 'node:fs';
import { StageSecretsError } from '../core/errors.js';
import { appendFileSafely, writeFileSafely } from '../store/safe-write.js';

/**
 * Writes secret text to a file readable only by its owner (0600), never through a symbolic link nor into
 * a folder a link leads out of the repository (a committed `.env` linked to ~/.bashrc). Replacing writes
 * a new 0600 temp file and renames it over the old one. `append` adds to the end of the file in place
 * (GitHub's shared $GITHUB_ENV, which the runner reads by path); an existing file with a looser mode is
 * tightened first (refused when that is not allowed), before any byte is written.
 */
export function writeSecretFile(file: string, text: string, append: boolean, cwd: string): void {
  const target = { file, cwd, role: '--out' };
  if (!append) {
    writeFileSafely(target, text, { mode: 0o600 });
    return;
  }
  appendFileSafely(
    target,
    text,
    (fd) => {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) {
        const message = `--out ${file} is not a regular file (a FIFO, device or folder); pass a regular file's path.`;
        throw new StageSecretsError('USAGE', `${message} Nothing was written.`);
      }
      if ((stat.mode & 0o077) === 0) return;
      try {
        fs.fchmodSync(fd, 0o600);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new StageSecretsError(
          'IO',
          `--out ${file} is readable by others and its mode cannot be changed to 0600 (${code}); nothing was written.`,
        );
      }
    },
    { mode: 0o600 },
  );
}
