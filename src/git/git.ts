import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';

/** Runs git in `cwd` and returns its stdout; a failure gives a StageSecretsError with git's own first line. */
export function git(args: string[], cwd: string, env: NodeJS.ProcessEnv, allowFail = false): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (err) {
    if (allowFail) return undefined;
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new StageSecretsError('IO', 'git was not found on PATH; install git or run this where git is available.');
    const first =
      String(e.stderr ?? '')
        .trim()
        .split('\n')[0] ?? '';
    throw new StageSecretsError('IO', `git ${args[0]} failed${first ? `: ${first}` : ''}`);
  }
}

/** The top folder of the git work tree around `cwd`, or a clear error outside one. */
export function repoRoot(cwd: string, env: NodeJS.ProcessEnv): string {
  const out = git(['rev-parse', '--show-toplevel'], cwd, env, true);
  if (out === undefined || out.trim() === '') {
    throw new StageSecretsError(
      'USAGE',
      `${cwd} is not inside a git work tree; run this in your repository (git init first for a new one).`,
    );
  }
  return out.trim();
}

/** Whether git tracks `file` (it was committed or staged); false outside a work tree or without git. */
export function isTrackedByGit(file: string, env: NodeJS.ProcessEnv): boolean {
  const out = git(['ls-files', '--error-unmatch', '--', path.basename(file)], path.dirname(file), env, true);
  return out !== undefined && out.trim() !== '';
}

/**
 * The texts of git blobs by hash, read in one `git cat-file --batch` in `root` (a missing hash is left out).
 * `maxBuffer` bounds what one call may read.
 */
export function blobTexts(
  root: string,
  env: NodeJS.ProcessEnv,
  hashes: string[],
  maxBuffer: number,
): Map<string, string> {
  const texts = new Map<string, string>();
  if (hashes.length === 0) return texts;
  const out = execFileSync('git', ['cat-file', '--batch'], {
    cwd: root,
    env,
    input: `${hashes.join('\n')}\n`,
    maxBuffer,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    const [hash, kind, size] = out.subarray(at, eol).toString('latin1').split(' ') as [string, string, string?];
    if (kind === 'missing' || size === undefined) {
      at = eol + 1;
      continue;
    }
    const length = Number(size);
    texts.set(hash, out.subarray(eol + 1, eol + 1 + length).toString('utf8'));
    at = eol + 1 + length + 1;
  }
  return texts;
}
