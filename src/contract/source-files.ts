/**
 * The only way the contract scan reads a file of the project: a regular file whose real path lies inside
 * the repository, of at most MAX_SOURCE_BYTES, read with a bound (a file swapped for a device or a fifo
 * after the check still cannot make it read without end). A refusal says why, for the report's
 * "could not read it, because ...".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realPathOf } from '../core/real-path.js';

/** A source or config file larger than this is not read (hand-written code is far smaller). */
export const MAX_SOURCE_BYTES = 1024 * 1024;

const NOT_REGULAR = 'it is not a regular file (a device, a fifo, a socket or a folder)';

export type SourceText = { text: string } | { refused: string };

/** The report's wording of a refusal. */
export function refusal(why: string): string {
  return `could not read it, because ${why}`;
}

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `file`'s text, or why it is not read. `root`: the repository (or app) folder the scan may read in. */
export function readSourceFile(file: string, root: string, maxBytes = MAX_SOURCE_BYTES): SourceText {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { refused: code === 'ENOENT' ? 'it does not exist (or links to nothing)' : `it cannot be opened (${code})` };
  }
  try {
    if (!fs.statSync(real).isFile()) return { refused: NOT_REGULAR };
  } catch (err) {
    return { refused: `it cannot be opened (${(err as NodeJS.ErrnoException).code})` };
  }
  if (!inside(realPathOf(root), real)) return { refused: 'it lies outside the repository (a link out of it)' };
  let fd: number;
  try {
    // non-blocking: a fifo put in its place after the realpath cannot hold the scan
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    return { refused: `it cannot be opened (${(err as NodeJS.ErrnoException).code})` };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return { refused: NOT_REGULAR };
    if (stat.size > maxBytes) return { refused: `it is larger than ${maxBytes} bytes (${stat.size})` };
    // the size the file says, plus one byte to see it grow; the loop still stops past maxBytes
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) return { refused: `it changed while read, or is larger than ${maxBytes} bytes` };
    }
    return { text: buffer.subarray(0, length).toString('utf8') };
  } catch (err) {
    return { refused: `it cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    fs.closeSync(fd);
  }
}
