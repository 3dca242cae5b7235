/**
 * A SecretClient in a process of its own (test/support/store-client-child.mjs driving the built client), for
 * the runtime stores' tests: one update or read, or many released at once on a barrier.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './cli.js';

const CHILD = path.join(REPO_ROOT, 'test/support/store-client-child.mjs');
const CLIENT = path.join(REPO_ROOT, 'dist/src/client/index.js');

/** What the child prints: its outcome as JSON, after `ready` when it waits for the barrier. */
export interface ChildOutcome {
  ok: boolean;
  value?: unknown;
  used?: string[];
  name?: string;
  code?: string;
  key?: string;
  message?: string;
}

export interface StoreClientChild {
  /** resolves when the child has loaded everything (with a barrier), at once without one */
  ready: Promise<void>;
  /** releases a child that waits on the barrier */
  go: () => void;
  done: Promise<ChildOutcome>;
}

export interface StoreClientOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** wait for `go` after loading, so many children start their work at once */
  barrier: boolean;
  /** killed after this long (a hung child fails its test instead of the file's timeout) */
  killAfterMs: number;
  /** the child's stdout and stderr when it ends */
  onClose?: (out: string, err: string) => void;
}

/** Starts a client process running `args` (e.g. ['update', NAME, VALUE] or ['read', NAME]). */
export function startStoreClient(args: string[], options: StoreClientOptions): StoreClientChild {
  const { barrier } = options;
  const child = spawn(process.execPath, [CHILD, CLIENT, ...args], {
    cwd: options.cwd,
    env: { ...options.env, WAIT_FOR_GO: barrier ? '1' : '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ready = new Promise<void>((resolve) => {
    if (!barrier) return resolve();
    child.stdout.on('data', () => out.startsWith('ready\n') && resolve());
  });
  const done = new Promise<ChildOutcome>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      options.onClose?.(out, err);
      const line = out.replace(/^ready\n/, '').trim();
      if (code !== 0 || !line) return reject(new Error(`child exited ${code}: ${err}`));
      resolve(JSON.parse(line) as ChildOutcome);
    });
  });
  return { ready, go: () => child.stdin.write('go\n'), done };
}
