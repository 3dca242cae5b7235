import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStageDoc, restoreStage, snapshotStage, type StageDoc, writeStageDoc } from './stage-files.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/cli.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What a CLI process wrote, as bytes: for binary output and exact byte counts. */
export interface CliBytes {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** written to stdin, which is then closed (at once when there is no input) */
  input?: string | Buffer;
  /** leaves stdin open instead, for a test that feeds it through `child.stdin` */
  keepStdinOpen?: boolean;
  /** SIGKILL after this long; startCli sets none unless asked, runCli defaults to 30 s */
  timeoutMs?: number;
  /** runs it as another user */
  uid?: number;
  gid?: number;
  /** a copy of the built CLI to run instead of dist/cli.mjs (see cliCopyForOtherUsers) */
  cli?: string;
}

/** A CLI process still running, with what it has written so far. */
export interface LiveCli {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  /** stdout and stderr so far */
  stdout(): Buffer;
  stderr(): Buffer;
  /** resolves once stdout holds `text` */
  waitFor(text: string): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** when it has exited and closed its pipes: its output as UTF-8 text */
  done: Promise<CliResult>;
  /** the same, as bytes */
  doneBytes: Promise<CliBytes>;
}

/**
 * NODE_EXTRA_CA_CERTS makes every Node process parse that CA file as it starts: 40 ms of CPU per process with
 * Debian's bundle, on machines that set it for a proxy. The CLI in these tests talks to no TLS server (the KMS
 * and S3 servers of the tests are plain HTTP on 127.0.0.1), so it and what it runs start without it.
 */
function cliEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _unused, ...rest } = env;
  return rest;
}

/** Starts the built CLI as a real process and returns at once, so a test can signal it, feed it, or watch it. */
export function startCli(args: string[], options: CliOptions): LiveCli {
  const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env ?? process.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.on('data', (c: Buffer) => {
    out.push(c);
    if (waiters.length === 0) return;
    const all = Buffer.concat(out).toString('latin1');
    for (const w of [...waiters]) {
      if (!all.includes(w.text)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const timer =
    options.timeoutMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
  const doneBytes = new Promise<CliBytes>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
  const done = doneBytes.then(({ code, signal, stdout, stderr }) => ({
    code,
    signal,
    stdout: stdout.toString('utf8'),
    stderr: stderr.toString('utf8'),
  }));
  // a test awaits one of the two: a failed start must not also count as an unhandled rejection of the other
  done.catch(() => undefined);
  doneBytes.catch(() => undefined);
  child.stdin.on('error', () => undefined);
  if (!options.keepStdinOpen) {
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  }
  return {
    child,
    pid: child.pid!,
    stdout: () => Buffer.concat(out),
    stderr: () => Buffer.concat(err),
    waitFor: (text) =>
      new Promise((resolve) => {
        if (Buffer.concat(out).toString('latin1').includes(text)) resolve();
        else waiters.push({ text, resolve });
      }),
    kill: (signal = 'SIGKILL') => void child.kill(signal),
    done,
    doneBytes,
  };
}

/** Runs the built CLI as a real process; resolves when it has exited. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, { ...options, timeoutMs: options.timeoutMs ?? 30_000 }).done;
}

/**
 * A copy of the built CLI in `dir` (made world-readable and enterable), for running it as another user:
 * the checkout may sit under a folder only its owner can enter (a clone inside `mktemp -d`), where that
 * user cannot load dist/cli.mjs. The bundle needs nothing else from the checkout except the AWS SDK,
 * which it imports only for KMS identities.
 */
export function cliCopyForOtherUsers(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const copy = path.join(dir, 'cli.mjs');
  fs.copyFileSync(CLI, copy);
  fs.chmodSync(copy, 0o644);
  return copy;
}

export interface Workspace {
  /** the app folder, where commands run */
  dir: string;
  /** XDG_CONFIG_HOME of this workspace: local keys land here */
  config: string;
  /** a clean env: no inherited STAGE_SECRETS_* or AWS settings */
  env: NodeJS.ProcessEnv;
  run(
    args: string[],
    extra?: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string; timeoutMs?: number },
  ): Promise<CliResult>;
  stageFile(stage: string): string;
  /** the stage as one JSON object (header + secrets), whatever its layout (support/stage-files.ts) */
  readStage(stage: string): StageDoc;
  writeStage(stage: string, doc: StageDoc): void;
  /** every file of the stage as one text, to compare or restore */
  snapshot(stage: string): string;
  restore(stage: string, snapshot: string): void;
  cleanup(): void;
}

/** A temp app folder with its own config home, so tests never touch the user's keys. */
export function makeWorkspace(app = 'demo-app'): Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-test-'));
  fs.mkdirSync(path.join(root, app), { recursive: true });
  return workspaceAt(root, app, cleanEnv());
}

/**
 * A new workspace holding a copy of `ws`'s whole temp tree (app folder, git repository, config home and keys,
 * file modes kept): for tests that each need the same prepared stage, built once through the CLI, instead of
 * preparing it again per test. Its env names the copy wherever `ws`'s named the original.
 */
export function copyWorkspace<W extends Workspace>(ws: W): W {
  const from = path.dirname(ws.dir);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-test-'));
  fs.cpSync(from, root, { recursive: true, preserveTimestamps: true });
  const moved = (value: string) =>
    value === from || value.startsWith(`${from}/`) ? root + value.slice(from.length) : value;
  const env = Object.fromEntries(Object.entries(ws.env).map(([k, v]) => [k, v === undefined ? v : moved(v)]));
  const copy = workspaceAt(root, path.basename(ws.dir), env);
  // the fields a richer workspace adds (secureWorkspace's root, tmp, key file): paths moved to the copy
  const extra = Object.fromEntries(
    Object.entries(ws)
      .filter(([k]) => !(k in copy))
      .map(([k, v]) => [k, typeof v === 'string' ? moved(v) : v]),
  );
  return { ...extra, ...copy } as W;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // nor the CI runner this suite itself may run on: tests say which runner they play
    if (
      !k.startsWith('STAGE_SECRETS_') &&
      !k.startsWith('AWS_') &&
      !['SLS_SET_SECRET_ENVS', 'GITHUB_ACTIONS', 'GITHUB_ENV', 'GITLAB_CI'].includes(k)
    )
      env[k] = v;
  }
  return env;
}

function workspaceAt(root: string, app: string, baseEnv: NodeJS.ProcessEnv): Workspace {
  const dir = path.join(root, app);
  const config = path.join(root, 'config');
  const env: NodeJS.ProcessEnv = { ...baseEnv, XDG_CONFIG_HOME: config, HOME: root };
  return {
    dir,
    config,
    env,
    run: (args, extra = {}) =>
      runCli(args, {
        cwd: extra.cwd ?? dir,
        env: { ...env, ...extra.env },
        input: extra.input,
        timeoutMs: extra.timeoutMs,
      }),
    stageFile: (stage) => path.join(dir, 'secrets', `${stage}.json`),
    readStage: (stage) => readStageDoc(path.join(dir, 'secrets'), stage),
    writeStage: (stage, doc) => writeStageDoc(path.join(dir, 'secrets'), stage, doc),
    snapshot: (stage) => snapshotStage(path.join(dir, 'secrets'), stage),
    restore: (stage, snapshot) => restoreStage(path.join(dir, 'secrets'), stage, snapshot),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** The local key text of a workspace's only key file (what CI would get as STAGE_SECRETS_KEY_<STAGE>). */
export function readOnlyLocalKey(ws: Workspace): string {
  const keys = path.join(ws.config, 'stage-secrets', 'keys');
  const files = fs.readdirSync(keys);
  if (files.length !== 1) throw new Error(`expected one key file, found ${files.length}`);
  return fs.readFileSync(path.join(keys, files[0]!), 'utf8').trim();
}
