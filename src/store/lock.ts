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
    // a link (dangling or not) is not ours either; judging a dangling one by its age would never end
    read = fs.lstatSync(file).isSymbolicLink()
      ? { kind: 'not-regular', what: 'a symbolic link' }
      : readRegularFile(fs, file, MAX_LOCK_BYTES);
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

/** How far ahead of this host's clock a lock may be dated and still be a live writer's (clock skew between hosts sharing the folder). */
const FUTURE_SKEW_MS = 60_000;
/** A lock file without readable content, younger than this, may be one being written right now. */
const WRITING_MS = 2_000;

/** A host name from a lock file, printed only when it is a plain host name (the file may be hostile). */
function hostText(host: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(host) ? host : 'another host';
}

/**
 * Whether a lock found in place can be taken over, and the warning that says why; undefined while it may
 * still be held. Only what no running writer can have written is broken at once: a writer records its
 * own positive pid, its host and the time from the same clock (give or take skew between hosts). A lock
 * dated in the future was committed to git or copied; it would otherwise block every writer for ever.
 * A lock of this host whose process is gone, or any lock older than `staleMs`, is stale.
 */
function judgeLock(
  info: LockInfo | undefined,
  mtimeMs: number,
  now: number,
  host: string,
  staleMs: number,
  file: string,
): string | undefined {
  if (info === undefined) {
    if (mtimeMs > now + FUTURE_SKEW_MS)
      return `recovered a broken lock ${file}: it is unreadable and dated in the future`;
    return now - mtimeMs > WRITING_MS ? `recovered a stale lock ${file}` : undefined;
  }
  if (
    !Number.isSafeInteger(info.pid) ||
    info.pid <= 0 ||
    info.host === '' ||
    !Number.isFinite(info.time) ||
    info.time <= 0
  ) {
    return `recovered a broken lock ${file}: it names no process that could hold it`;
  }
  if (info.time > now + FUTURE_SKEW_MS) {
    return `recovered a broken lock ${file}: it is dated in the future, so no running command wrote it (committed to git or copied?); keep lock files out of git`;
  }
  if (info.host === host && !isAlive(info.pid)) return `recovered a stale lock ${file} left by process ${info.pid}`;
  if (now - info.time > staleMs) {
    const minutes = Math.floor((now - info.time) / 60_000);
    return `recovered a stale lock ${file} left by process ${info.pid} on ${hostText(info.host)} ${minutes} minutes ago`;
  }
  return undefined;
}

/**
 * Removes a broken or stale lock, unless it was replaced meanwhile. Without this check, two waiters that
 * both saw the same dead holder could each unlink: the second would delete the first one's fresh lock, and
 * both would write. Breaking is itself serialised by a short-lived `.break` file.
 */
function breakStaleLock(
  fs: StoreFs,
  file: string,
  judged: LockInfo | undefined,
  stillBroken: (current: LockInfo | undefined) => boolean,
): boolean {
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
      ? current !== undefined &&
        current.pid === judged.pid &&
        current.host === judged.host &&
        current.time === judged.time
      : current === undefined;
    if (!unchanged || !stillBroken(current)) return false;
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
 * died, or one no running process can have written, is recovered with a warning; a live holder is
 * waited for, up to the timeout.
 */
export async function withLock<T>(
  fs: StoreFs,
  file: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const host = os.hostname();
  const verdictOf = (info: LockInfo | undefined) =>
    judgeLock(info, fs.statSync(file).mtimeMs, Date.now(), host, staleMs, file);
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
        throw new StageSecretsError(
          'IO',
          `cannot create lock file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
          { cause: err },
        );
      }
    }
    const info = readInfo(fs, file);
    let warning: string | undefined;
    try {
      warning = verdictOf(info);
    } catch {
      continue; // the holder just released it
    }
    if (warning !== undefined && breakStaleLock(fs, file, info, (current) => verdictOf(current) !== undefined)) {
      log().warn(warning);
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = info ? `process ${info.pid} on ${hostText(info.host)}` : 'another process';
      throw new StageSecretsError(
        'LOCKED',
        `stage file is locked by ${holder} (${file}); wait for it, or delete the lock file if no stage-secrets command is running.`,
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
