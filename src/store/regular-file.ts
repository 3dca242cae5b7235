import { constants } from 'node:fs';
import type { StoreFs, StoreStats } from './fs-types.js';

/**
 * O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer (the fstat below
 * then refuses it); it changes nothing for a regular file. O_NOCTTY: a terminal device never becomes our
 * controlling terminal. Both are 0 where the platform lacks them.
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export type RegularRead =
  | { kind: 'text'; text: string }
  /** `what` says what the path is instead, e.g. "a FIFO (named pipe)" */
  | { kind: 'not-regular'; what: string }
  /** `size` is the size the file system reported, when that alone was over the limit */
  | { kind: 'too-large'; size?: number };

/** What a non-regular file is, in words for an error message. */
export function describeFileKind(stats: StoreStats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads `file` as UTF-8 text when it is a regular file of at most `maxBytes`. The kind of file is checked
 * with fstat on the opened descriptor, so nothing can swap the path between the check and the read; the
 * limit is enforced on the bytes actually read (a file can grow, and some report size 0), not only on the
 * reported size. Errors of open (ENOENT, EACCES...) are thrown as they are, for the caller to word.
 */
export function readRegularFile(
  fs: StoreFs,
  file: string,
  maxBytes: number,
  options: { noFollow?: boolean } = {},
): RegularRead {
  // noFollow: a link in place of the file fails with ELOOP instead of being read through
  const fd = fs.openSync(file, READ_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) return { kind: 'not-regular', what: describeFileKind(stats) };
    if (stats.size > maxBytes) return { kind: 'too-large', size: stats.size };
    // One byte more than allowed: reading it proves the file is over the limit.
    const limit = maxBytes + 1;
    let buffer = Buffer.allocUnsafe(Math.min(stats.size + 1, limit));
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        if (total >= limit) break;
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(buffer.length * 2, 64 * 1024), limit));
        buffer.copy(bigger, 0, 0, total);
        buffer = bigger;
      }
      const n = fs.readSync(fd, buffer, total, buffer.length - total, total);
      if (n <= 0) break;
      total += n;
    }
    if (total > maxBytes) return { kind: 'too-large' };
    return { kind: 'text', text: buffer.toString('utf8', 0, total) };
  } finally {
    fs.closeSync(fd);
  }
}
