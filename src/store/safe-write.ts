import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StageSecretsError } from '../core/errors.js';
import type { StoreFs } from './fs-types.js';
import { displayPath } from './display-path.js';
import { describeFileKind } from './regular-file.js';
import { realPathOf } from '../core/real-path.js';

/** What checking and writing a file needs of the file system (node:fs, or memfs in unit tests). */
export type WriteFs = Pick<
  StoreFs,
  | 'lstatSync'
  | 'realpathSync'
  | 'existsSync'
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'unlinkSync'
>;

/**
 * O_EXCL with O_CREAT never opens an existing path, a symbolic link included; O_NOFOLLOW says the same
 * where the platform has it. O_NONBLOCK/O_NOCTTY: appending to a FIFO or a terminal never waits or
 * takes it over (the fstat check then refuses it).
 */
const NOFOLLOW = nodeFs.constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | NOFOLLOW;
const APPEND =
  nodeFs.constants.O_WRONLY |
  nodeFs.constants.O_CREAT |
  nodeFs.constants.O_APPEND |
  NOFOLLOW |
  (nodeFs.constants.O_NONBLOCK ?? 0) |
  (nodeFs.constants.O_NOCTTY ?? 0);

export interface WriteTarget {
  /** absolute path of the file to write */
  file: string;
  /** where the user is: paths in messages are relative to it, and its repository bounds the write */
  cwd: string;
  /** the option that named the file, for messages ("--out"); the path itself is shown relative to cwd */
  role?: string;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** The file as messages name it: the option that named it, if any, and its path relative to cwd. */
function labelOf(target: WriteTarget): string {
  return `${target.role ? `${target.role} ` : ''}${displayPath(target.cwd, target.file)}`;
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** lstat, or undefined when nothing is there. */
function lstatOrNone(fs: WriteFs, file: string): ReturnType<WriteFs['lstatSync']> | undefined {
  try {
    return fs.lstatSync(file);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * The real path of the repository around `cwd` (the nearest folder holding `.git`), else of `cwd`
 * itself: the folder a write must stay in. Walking up from the real path of `cwd` means no committed
 * link can be taken for the repository.
 */
export function writeBoundary(fs: WriteFs, cwd: string): string {
  const real = realPathOf(cwd, fs);
  for (let dir = real; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return real;
  }
}

/**
 * Refuses a folder path that a symbolic link leads out of the repository (or, outside git, out of the
 * working folder). Only paths that lie in the repository are bounded: an explicit folder elsewhere
 * (`--out /tmp/x`, `$GITHUB_ENV`) is the user's choice. Folders not created yet are fine: we create
 * them as real folders.
 */
export function assertFolderInside(fs: WriteFs, dir: string, cwd: string, role?: string): void {
  const root = writeBoundary(fs, cwd);
  // the same path seen from the real working folder, so a cwd reached through a link compares right
  const target = path.resolve(realPathOf(cwd, fs), path.relative(cwd, dir));
  if (!isInside(root, target)) return;
  let current = root;
  for (const part of path
    .relative(root, target)
    .split(path.sep)
    .filter((p) => p !== '')) {
    current = path.join(current, part);
    const stats = lstatOrNone(fs, current);
    if (stats === undefined) return;
    if (!stats.isSymbolicLink()) continue;
    let real: string | undefined;
    try {
      real = fs.realpathSync(current);
    } catch {
      real = undefined; // a dangling link: creating anything through it would land where it points
    }
    if (real === undefined || !isInside(root, real)) {
      const link = displayPath(cwd, current);
      throw new StageSecretsError(
        'IO',
        `${role ? `${role}: ` : ''}the folder ${link} is a symbolic link that leads outside the repository ` +
          `${root}; stage-secrets writes only inside it. Nothing was written. If the link came from a commit, ` +
          `review that commit; replace it with a real folder (rm ${link} && mkdir ${link}), or pass the real ` +
          `folder's path.`,
      );
    }
  }
}

/**
 * Refuses a path that exists and is not a regular file: a symbolic link (wherever it points: its target
 * is not quoted, it may come from a hostile commit) or a FIFO, device or folder.
 */
export function assertRegularOrAbsent(fs: WriteFs, file: string, cwd: string, role?: string): void {
  const stats = lstatOrNone(fs, file);
  if (stats === undefined || stats.isFile()) return;
  const shown = displayPath(cwd, file);
  const what = stats.isSymbolicLink()
    ? 'is a symbolic link, not a regular file'
    : `is not a regular file (${describeFileKind(stats)})`;
  throw new StageSecretsError(
    'IO',
    `${role ? `${role} ` : ''}${shown} ${what}; stage-secrets writes only regular files and never follows a ` +
      `link. Nothing was written. If it came from a commit, review that commit; remove it (rm ${shown}) and ` +
      `run the command again.`,
  );
}

/** Both checks of a file about to be written. */
export function assertWritable(target: WriteTarget, fs: WriteFs = nodeFs as unknown as WriteFs): void {
  assertFolderInside(fs, path.dirname(target.file), target.cwd, target.role);
  assertRegularOrAbsent(fs, target.file, target.cwd, target.role);
}

/** The temp file name of a write of `file`: `.<name>.<pid>.<random>.tmp` in the same folder (cleanup relies on it). */
export function tempPathFor(file: string): string {
  const name = `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  return path.join(path.dirname(file), name);
}

export interface WriteOptions {
  /** mode of the new file (default 0o644) */
  mode?: number;
  fs?: WriteFs;
  /** false: the caller fsyncs the folder once after a batch of writes in it (syncFolderOf) */
  syncFolder?: boolean;
}

/**
 * Replaces `file` with `data` atomically after the checks above: the bytes go to a new temp file in the
 * same folder (created exclusively, never through a link), are fsynced, then renamed over the file; a
 * rename replaces a path and never follows it. A crash leaves the old file or the new one.
 */
export function writeFileSafely(target: WriteTarget, data: string | Buffer, options: WriteOptions = {}): void {
  const fs = options.fs ?? (nodeFs as unknown as WriteFs);
  const label = labelOf(target);
  assertWritable(target, fs);
  const tmp = tempPathFor(target.file);
  try {
    const fd = fs.openSync(tmp, CREATE_NEW, options.mode ?? 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target.file);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temp file was never created or is already gone
    }
    const message = `cannot write ${label} (${errnoOf(err) ?? 'error'}); the old file is unchanged.`;
    throw new StageSecretsError('IO', message, { cause: err });
  }
  if (options.syncFolder !== false) syncFolder(fs, path.dirname(target.file));
}

/** Files a batch keeps open at once: far below the usual limit of 1,024 descriptors. */
const BATCH_OPEN_FILES = 128;

/**
 * writeFileSafely for many files (a v3 stage's entries), in chunks: every temp file of a chunk is written,
 * then all are fsynced, then renamed, so the disk flushes them together instead of one at a time (1,000
 * entries: about a quarter of the time). A crash still leaves each file old or new and whole: nothing is
 * renamed before its bytes are on disk. The folders are not fsynced (syncFolderOf, once, after).
 */
export function writeFilesSafely(
  files: Array<{ target: WriteTarget; data: string }>,
  options: Omit<WriteOptions, 'syncFolder'> = {},
): void {
  const fs = options.fs ?? (nodeFs as unknown as WriteFs);
  const folders = new Set<string>();
  for (const { target } of files) {
    const dir = path.dirname(target.file);
    if (!folders.has(dir)) assertFolderInside(fs, dir, target.cwd, target.role);
    folders.add(dir);
    assertRegularOrAbsent(fs, target.file, target.cwd, target.role);
  }
  for (let at = 0; at < files.length; at += BATCH_OPEN_FILES) {
    const chunk = files.slice(at, at + BATCH_OPEN_FILES).map((f) => ({ ...f, tmp: tempPathFor(f.target.file) }));
    const open: number[] = [];
    let current = chunk[0]!;
    try {
      for (const f of chunk) {
        current = f;
        const fd = fs.openSync(f.tmp, CREATE_NEW, options.mode ?? 0o644);
        open.push(fd);
        const bytes = Buffer.from(f.data, 'utf8');
        for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      }
      for (const [i, fd] of open.entries()) {
        current = chunk[i]!;
        fs.fsyncSync(fd);
      }
      while (open.length) fs.closeSync(open.pop()!);
      for (const f of chunk) {
        current = f;
        fs.renameSync(f.tmp, f.target.file);
      }
    } catch (err) {
      for (const fd of open) {
        try {
          fs.closeSync(fd);
        } catch {
          // already closed
        }
      }
      for (const f of chunk) {
        try {
          fs.unlinkSync(f.tmp);
        } catch {
          // renamed already, or never created
        }
      }
      const message = `cannot write ${labelOf(current.target)} (${errnoOf(err) ?? 'error'}); the old file is unchanged.`;
      throw new StageSecretsError('IO', message, { cause: err });
    }
  }
}

/** fsync of a folder after a batch of writeFileSafely(..., { syncFolder: false }) in it. */
export function syncFolderOf(dir: string, fs: WriteFs = nodeFs as unknown as WriteFs): void {
  syncFolder(fs, dir);
}

/**
 * Appends to `file` in place (a file another program reads by path, like GitHub's $GITHUB_ENV), after the
 * same checks, without following a link; a new file gets `mode`. `onOpen` gets the descriptor before
 * anything is written (to check its kind, tighten its mode).
 */
export function appendFileSafely(
  target: WriteTarget,
  data: string,
  onOpen: (fd: number) => void,
  options: WriteOptions = {},
): void {
  const fs = options.fs ?? (nodeFs as unknown as WriteFs);
  const label = labelOf(target);
  assertWritable(target, fs);
  let fd: number;
  try {
    fd = fs.openSync(target.file, APPEND, options.mode ?? 0o644);
  } catch (err) {
    const code = errnoOf(err);
    // ELOOP: a link put there since the check; ENXIO: a FIFO with no reader; EISDIR: a folder
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') {
      assertRegularOrAbsent(fs, target.file, target.cwd, target.role);
    }
    const message = `cannot open ${label} (${code ?? 'error'}); check that its folder exists and is writable.`;
    throw new StageSecretsError('IO', message, { cause: err });
  }
  try {
    onOpen(fd);
    const bytes = Buffer.from(data, 'utf8');
    for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } catch (err) {
    if (err instanceof StageSecretsError) throw err;
    throw new StageSecretsError('IO', `cannot write ${label} (${errnoOf(err) ?? 'error'}).`, { cause: err });
  } finally {
    fs.closeSync(fd);
  }
}

function syncFolder(fs: WriteFs, dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic
  }
}
