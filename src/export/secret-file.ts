import * as fs from 'node:fs';
import { StageSecretsError } from '../core/errors.js';

/**
 * O_NONBLOCK: opening a FIFO that has no reader fails at once (ENXIO) instead of waiting for ever; a FIFO
 * that has one is refused by the fstat check. O_NOCTTY: a terminal never becomes the controlling one.
 * Neither changes how a regular file is written.
 */
const NO_WAIT = (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);

function notRegular(file: string): StageSecretsError {
  return new StageSecretsError('USAGE', `--out ${file} is not a regular file (a FIFO, device or folder); pass the path of a regular file. Nothing was written.`);
}

/**
 * Writes secret text to a file readable only by its owner (0600). The mode is set before any byte
 * is written: a new file is created 0600, an existing one with a looser mode is tightened first
 * (refused when that is not allowed). `append` adds to the end (GitHub's shared $GITHUB_ENV);
 * otherwise the file is replaced.
 */
export function writeSecretFile(file: string, text: string, append: boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | (append ? fs.constants.O_APPEND : 0) | NO_WAIT, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENXIO: a FIFO with no reader (the open would otherwise wait for one); EISDIR: a folder
    if (code === 'ENXIO' || code === 'EISDIR') throw notRegular(file);
    throw new StageSecretsError('IO', `cannot open --out ${file} (${code ?? 'error'}); check that its folder exists and is writable.`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegular(file);
    if ((stat.mode & 0o077) !== 0) {
      try {
        fs.fchmodSync(fd, 0o600);
      } catch (err) {
        throw new StageSecretsError(
          'IO',
          `--out ${file} is readable by others and its mode cannot be changed to 0600 (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was written.`,
        );
      }
    }
    if (!append) fs.ftruncateSync(fd, 0);
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset);
    fs.fsyncSync(fd);
  } catch (err) {
    if (err instanceof StageSecretsError) throw err;
    throw new StageSecretsError('IO', `cannot write --out ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  } finally {
    fs.closeSync(fd);
  }
}
