import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/cli.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs the built CLI as a real process. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
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
  cleanup(): void;
}

/** A temp app folder with its own config home, so tests never touch the user's keys. */
export function makeWorkspace(app = 'demo-app'): Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-test-'));
  const dir = path.join(root, app);
  const config = path.join(root, 'config');
  fs.mkdirSync(dir, { recursive: true });
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
  env.XDG_CONFIG_HOME = config;
  env.HOME = root;
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
