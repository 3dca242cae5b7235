import * as os from 'node:os';
import { StageSecretsError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { StoreFs } from './fs-types.js';
import { readRegularFile, type RegularRead } from './regular-file.js';

export interface LockOptions {
  timeoutMs?: number;
  /** A lock older than this is taken as abandoned even if its process cannot be checked. */
  staleMs?: number;
}

interface LockInfo {
  pid: number;
  host: string;
  time: number;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock this tool writes is about 60 bytes; anything much longer is not one of ours. */
const MAX_LOCK_BYTES = 4096;

/**
 * The holder recorded in the lock file, or undefined when it cannot be read (half-written, damaged, too
 * long). A lock path that is not a regular file (a FIFO, a link to a device) was not made by this tool,
 * which creates it with O_EXCL: it is refused before anything is read, since reading could block or never end.
 */
function readInfo(fs: StoreFs, file: string): LockInfo | undefined {
  let read: RegularRead;
  try {
    read = readRegularFile(fs, file, MAX_LOCK_BYTES);
  } catch {
    return undefined; // gone meanwhile, or unreadable: judged by its age below
  }
  if (read.kind === 'not-regular') {
    throw new StageSecretsError(
      'IO',
      `the lock file ${file} is not a regular file (${read.what}); stage-secrets creates it as one. If no stage-secrets command is running, remove it: rm ${file}`,
    );
  }
  if (read.kind !== 'text') return undefined;
  try {
    const info = JSON.parse(read.text) as Partial<LockInfo>;
    if (typeof info.pid === 'number' && typeof info.host === 'string' && typeof info.time === 'number') {
      return info as LockInfo;
    }
  } catch {
    // unreadable or half-written: judged by its age below
  }
  return undefined;
}

/**
 * Removes a stale lock, unless it was replaced meanwhile. Without this check, two waiters that both saw
 * the same dead holder could each unlink: the second would delete the first one's fresh lock, and both
 * would write. Breaking is itself serialised by a short-lived `.break` file.
 */
function breakStaleLock(fs: StoreFs, file: string, judged: LockInfo | undefined): boolean {
  const breaker = `${file}.break`;
  try {
    fs.closeSync(fs.openSync(breaker, 'wx', 0o644));
  } catch {
    try {
      // a breaker left by a process killed in the few lines below
      if (Date.now() - fs.statSync(breaker).mtimeMs > 5_000) fs.unlinkSync(breaker);
    } catch {
      // gone already
    }
    return false;
  }
  try {
    const current = readInfo(fs, file);
    const unchanged = judged
      ? current !== undefined && current.pid === judged.pid && current.host === judged.host && current.time === judged.time
      : current === undefined && Date.now() - fs.statSync(file).mtimeMs > 2_000; // not a lock being written right now
    if (!unchanged) return false;
    fs.unlinkSync(file);
    return true;
  } catch {
    return false; // another waiter recovered it first
  } finally {
    try {
      fs.unlinkSync(breaker);
    } catch {
      // nothing to release
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Holds an exclusive lock file (created with O_EXCL) while `fn` runs. A lock left by a process that
 * died is recovered with a warning; a live holder is waited for, up to the timeout.
 */
export async function withLock<T>(fs: StoreFs, file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const host = os.hostname();
  let wait = 5;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeSync(fd, Buffer.from(JSON.stringify({ pid: process.pid, host, time: Date.now() })));
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StageSecretsError('IO', `cannot create lock file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: err });
      }
    }
    const info = readInfo(fs, file);
    let age = 0;
    try {
      age = Date.now() - (info?.time ?? fs.statSync(file).mtimeMs);
    } catch {
      continue; // the holder just released it
    }
    const deadHolder = info !== undefined && info.host === host && !isAlive(info.pid);
    if (deadHolder || age > staleMs || (info === undefined && age > 2_000)) {
      if (breakStaleLock(fs, file, info)) {
        log().warn(`recovered a stale lock ${file}${info ? ` left by process ${info.pid}` : ''}`);
        continue;
      }
    }
    if (Date.now() >= deadline) {
      throw new StageSecretsError(
        'LOCKED',
        `stage file is locked by process ${info?.pid ?? '?'} on ${info?.host ?? '?'} (${file}); wait for it, or delete the lock file if no stage-secrets command is running.`,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 100);
  }
  try {
    return await fn();
  } finally {
    try {
      fs.unlinkSync(file);
    } catch {
      // already removed by a stale-lock recovery elsewhere; nothing to release
    }
  }
}
