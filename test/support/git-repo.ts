import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CliResult, makeWorkspace, type Workspace } from './cli.js';

export interface GitRepo {
  /** the env git and the CLI run with (the workspace's, no system git config) */
  env: NodeJS.ProcessEnv;
  /** git, whatever its exit code */
  g(...args: string[]): { code: number | null; stdout: string; stderr: string };
  /** git that must succeed: its stdout */
  ok(...args: string[]): string;
  /** the CLI in the repository; `keyless`: as a writer who holds no key (an empty config home) */
  run(args: string[], keyless?: boolean): Promise<CliResult>;
  /** the CLI, which must exit 0 */
  cli(args: string[], keyless?: boolean): Promise<CliResult>;
  commitAll(message: string): void;
}

/** A git repository in the workspace's app folder, with a user, no system config and no set-up of ours. */
export function gitRepo(ws: Workspace): GitRepo {
  const noKey = path.join(ws.config, '..', 'no-key-config');
  fs.mkdirSync(noKey, { recursive: true });
  const env = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GIT_EDITOR: 'true' };
  const g = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: ws.dir, env, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = g(...args);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const run = (args: string[], keyless = false) =>
    ws.run(args, { env: { ...env, ...(keyless ? { XDG_CONFIG_HOME: noKey } : {}) } });
  const cli = async (args: string[], keyless = false) => {
    const r = await run(args, keyless);
    if (r.code !== 0) throw new Error(`stage-secrets ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const commitAll = (message: string) => {
    ok('add', '-A');
    ok('commit', '-qm', message);
  };
  return { env, g, ok, run, cli, commitAll };
}

/** `git init` with a user and unsigned commits. */
export function initRepo(repo: GitRepo): void {
  repo.ok('init', '-q', '-b', 'main');
  repo.ok('config', 'user.name', 'Test');
  repo.ok('config', 'user.email', 'test@example.com');
  repo.ok('config', 'commit.gpgsign', 'false');
}

/** A new workspace named `name` whose app folder is a fresh git repository (initRepo). */
export function gitWorkspace(name: string): { ws: Workspace; repo: GitRepo } {
  const ws = makeWorkspace(name);
  const repo = gitRepo(ws);
  initRepo(repo);
  return { ws, repo };
}
