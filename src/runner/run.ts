import * as path from 'node:path';
import { githubMaskLines, runnerReadsMasks } from '../core/ci-masks.js';
import { maskTexts, unmaskedSecrets, unmaskedWarning } from '../core/mask-texts.js';
import type { SecretValue } from '../core/values.js';
import { runChild, DEFAULT_FLUSH_MS } from './child.js';
import { childEnv } from './env.js';
import { FilesDir } from './files-dir.js';
import { SignalRelay, signalExitCode } from './signals.js';

export interface RunOptions {
  stage: string;
  /** the stage's secrets, decrypted by the caller */
  secrets: ReadonlyMap<string, SecretValue>;
  /** where they came from, for --verbose (never a value) */
  source: string;
  command: string;
  args: string[];
  cwd: string;
  /** the env the child inherits (the secrets are added on top) */
  env: NodeJS.ProcessEnv;
  mask: boolean;
  filesDir?: string;
  flushMs?: number;
  verbose?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Starts the command with the secrets in its env (and as files when asked), masks them in its output
 * and returns its exit code. Errors before the child starts are thrown as StageSecretsError; the files
 * are removed on every path.
 */
export async function runWithSecrets(opts: RunOptions): Promise<number> {
  const secrets = opts.secrets;
  const env = childEnv(opts.env, secrets, opts.stage);
  const unmasked = opts.mask ? unmaskedSecrets(secrets) : [];
  if (unmasked.length > 0) {
    opts.stderr.write(`stage-secrets: ${unmaskedWarning(unmasked)}\n`);
  }
  let patterns: string[] | undefined;
  const maskPatterns = (): string[] => (patterns ??= maskTexts(secrets));
  const relay = new SignalRelay();
  relay.start();
  let files: FilesDir | undefined;
  try {
    if (opts.filesDir !== undefined) files = FilesDir.create(path.resolve(opts.cwd, opts.filesDir), secrets, opts.cwd);
    if (opts.verbose) {
      opts.stderr.write(
        `stage-secrets: stage ${opts.stage}: ${secrets.size} secrets in env from ${opts.source}` +
          `${opts.mask ? `, masking ${maskPatterns().length} texts` : ', not masked'}${files ? `, files in ${files.dir}` : ''}\n`,
      );
    }
    // a runner that reads mask commands learns every text now, before the child can print a value or pass it on
    if (opts.mask && runnerReadsMasks(opts.env)) for (const line of githubMaskLines(maskPatterns())) opts.stdout.write(`${line}\n`);
    if (relay.received) return signalExitCode(relay.received);
    return await runChild({
      command: opts.command,
      args: opts.args,
      cwd: opts.cwd,
      env,
      mask: opts.mask ? maskPatterns : undefined,
      flushMs: opts.flushMs ?? DEFAULT_FLUSH_MS,
      stdout: opts.stdout,
      stderr: opts.stderr,
      relay,
    });
  } finally {
    files?.cleanup();
    relay.stop();
  }
}
