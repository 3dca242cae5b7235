import * as path from 'node:path';
import { githubMaskLines, runnerReadsMasks } from '../core/ci-masks.js';
import { maskTexts, unmaskedSecrets, unmaskedWarning } from '../core/mask-texts.js';
import type { SecretValue } from '../core/values.js';
import { runChild, DEFAULT_FLUSH_MS } from './child.js';
import { createRunToken } from '../run-env/token.js';
import { childEnv, type RunProof } from './env.js';
import { FilesDir } from './files-dir.js';
import { SignalRelay, signalExitCode } from './signals.js';

export interface RunOptions {
  stage: string;
  /** absolute real path of the stage file the secrets come from */
  stageFile: string;
  /** the stage's secrets, decrypted by the caller */
  secrets: ReadonlyMap<string, SecretValue>;
  /** where they came from, for --verbose (never a value) */
  source: string;
  command: string;
  args: string[];
  cwd: string;
  /** the env the child inherits (the secrets are added on top; stage key variables are left out) */
  env: NodeJS.ProcessEnv;
  /** the texts of every key run saw (key variables, a key file), in the forms a key is written: masked like values */
  keyTexts?: readonly string[];
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
 * and run's token are removed on every path.
 */
export async function runWithSecrets(opts: RunOptions): Promise<number> {
  const token = createRunToken();
  try {
    return await runWithToken(opts, { stageFile: opts.stageFile, tokenFile: token.file, token: token.token });
  } finally {
    token.remove();
  }
}

async function runWithToken(opts: RunOptions, proof: RunProof): Promise<number> {
  const secrets = opts.secrets;
  const env = childEnv(opts.env, secrets, opts.stage, proof);
  const unmasked = opts.mask ? unmaskedSecrets(secrets) : [];
  if (unmasked.length > 0) {
    opts.stderr.write(`stage-secrets: ${unmaskedWarning(unmasked)}\n`);
  }
  let patterns: string[] | undefined;
  // the child gets no key, but may find one (a key file it can read, a copy in a file): masked too
  const maskPatterns = (): string[] => (patterns ??= maskTexts(secrets, opts.keyTexts));
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
    // a runner that reads mask commands learns every value now, before the child can print one or pass it on;
    // not the key texts: run never writes a key itself (CI masks its own secrets, where a key variable comes from)
    if (opts.mask && runnerReadsMasks(opts.env)) {
      for (const line of githubMaskLines(maskTexts(secrets))) opts.stdout.write(`${line}\n`);
    }
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
