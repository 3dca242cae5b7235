import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import type { RunEnvProblem } from '../core/run-env.js';
import { realPathOf } from '../core/real-path.js';

/**
 * The per-run token of `stage-secrets run` (see core/run-env.ts): 32 random bytes, hex, in
 * `<tmp>/stage-secrets-run-XXXXXX/token`, the folder 0700 and the file 0600, removed when run ends.
 * What runs under run reads it to check the run env's MAC. It is no secret value and opens nothing: it
 * only tells run's env apart from one a file of the repository (a committed .env) set.
 */
const FOLDER_PREFIX = 'stage-secrets-run-';
const TOKEN_NAME = 'token';
const TOKEN_BYTES = 32;
const TOKEN_TEXT = /^[0-9a-f]{64}$/;

export interface RunToken {
  file: string;
  token: Buffer;
  /** removes the token and its folder; safe to call twice */
  remove(): void;
}

/** The folder run's token would go in (TMPDIR), when it lies inside one of `repositories`. */
export function tokenFolderInside(repositories: readonly string[]): string | undefined {
  const tmp = realPathOf(os.tmpdir());
  return repositories.map((root) => realPathOf(root)).find((root) => isInside(tmp, root));
}

export function createRunToken(): RunToken {
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), FOLDER_PREFIX));
  } catch (err) {
    throw new StageSecretsError(
      'IO',
      `cannot create the run's token folder in ${os.tmpdir()} (${errorCode(err)}): ` +
        'set TMPDIR to a writable folder outside the repository.',
    );
  }
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  const token = randomBytes(TOKEN_BYTES);
  const file = path.join(dir, TOKEN_NAME);
  try {
    fs.writeFileSync(file, token.toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    remove();
    throw new StageSecretsError('IO', `cannot write the run's token file ${file} (${errorCode(err)}).`);
  }
  return { file, token, remove };
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

function isInside(folder: string, root: string): boolean {
  const rel = path.relative(root, folder);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Group or other may read or change it, or another user owns it: not a file only run made (POSIX only). */
function looseness(stats: fs.Stats): string | undefined {
  if (typeof process.getuid !== 'function') return undefined;
  if (stats.uid !== process.getuid()) return 'is owned by another user';
  if ((stats.mode & 0o077) !== 0) {
    return `has mode ${(stats.mode & 0o777).toString(8)}, not 0${stats.isDirectory() ? '700' : '600'}`;
  }
  return undefined;
}

/**
 * The token in `file` when it can only be run's: `<folder stage-secrets-run-*>/token`, neither a link,
 * owned by this user with no access for group or others, and outside `repositories` (a checkout made
 * under umask 077 gives committed files these modes too). Otherwise why not.
 */
export function readRunToken(file: string, repositories: readonly string[]): Buffer | RunEnvProblem {
  const bad = (why: string): RunEnvProblem => ({ problem: `run's token file ${file} ${why}` });
  if (!path.isAbsolute(file)) return bad('is not an absolute path');
  const folder = path.dirname(file);
  if (path.basename(file) !== TOKEN_NAME || !path.basename(folder).startsWith(FOLDER_PREFIX)) {
    return bad(`is not a ${FOLDER_PREFIX}*/${TOKEN_NAME} file that run makes`);
  }
  let folderStats: fs.Stats;
  try {
    folderStats = fs.lstatSync(folder);
  } catch (err) {
    const code = errorCode(err);
    return bad(code === 'ENOENT' ? 'does not exist (run removes it when it ends)' : `cannot be checked (${code})`);
  }
  if (!folderStats.isDirectory()) return bad('is not in a folder of its own (its folder is a link or a file)');
  const folderProblem = looseness(folderStats);
  if (folderProblem) return bad(`is in a folder that ${folderProblem}`);
  const realFolder = realPathOf(folder);
  const repository = repositories.map((root) => realPathOf(root)).find((root) => isInside(realFolder, root));
  if (repository) {
    return bad(`is inside ${repository}, where a committed file could be (keep TMPDIR outside the repository)`);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ELOOP') return bad('is a link');
    return bad(code === 'ENOENT' ? 'does not exist (run removes it when it ends)' : `cannot be read (${code})`);
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) return bad('is not a regular file');
    const fileProblem = looseness(stats);
    if (fileProblem) return bad(fileProblem);
    if (stats.size !== TOKEN_BYTES * 2) return bad('does not hold a token');
    const buffer = Buffer.alloc(TOKEN_BYTES * 2);
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, read);
    if (!TOKEN_TEXT.test(text)) return bad('does not hold a token');
    return Buffer.from(text, 'hex');
  } finally {
    fs.closeSync(fd);
  }
}
