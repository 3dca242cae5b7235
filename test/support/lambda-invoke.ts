import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './cli.js';

const RUNNER = path.join(REPO_ROOT, 'test/support/lambda-runner.mjs');

/** Unzips a deployment artifact into a new temp folder (the task root) and returns it. */
export function unzipArtifact(zip: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-task-'));
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

export interface LambdaError {
  name?: string;
  message: string;
  code?: string;
}

export interface Invocation {
  value?: unknown;
  error?: LambdaError;
  /** context.callbackWaitsForEmptyEventLoop when the invocation answered */
  callbackWaits?: boolean;
}

export interface LambdaRun {
  /** set when loading the handler failed (Lambda's init error) */
  initError?: LambdaError;
  invocations: Invocation[];
  stderr: string;
  /** everything the process printed besides the results */
  logs: string;
}

export interface InvokeOptions {
  taskRoot: string;
  handler: string;
  functionName: string;
  /** the function's configured environment (Environment.Variables of the template) */
  variables?: Record<string, string>;
  /** AWS settings: region, credentials, AWS_ENDPOINT_URL_KMS (test/support/kms-server.ts kmsEnv) */
  aws: NodeJS.ProcessEnv;
  /** one invocation per event, in one execution environment: the first is the cold start */
  events: unknown[];
}

/**
 * A stand-in for /var/runtime/node_modules, where Lambda keeps the AWS SDK v3: a folder holding only
 * @aws-sdk (linked to this repository's), so a package that forgot one of its other dependencies fails
 * here as it would in Lambda instead of finding it in the repository's node_modules.
 */
function runtimeNodeModules(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-lambda-runtime-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', '@aws-sdk'), path.join(dir, 'node_modules', '@aws-sdk'), 'dir');
  return dir;
}

/**
 * Runs a handler as Lambda's Node.js runtime would, in a child process with a Lambda-like environment:
 * a bare env (no inherited settings), LAMBDA_TASK_ROOT and the working folder at the unzipped package,
 * _HANDLER, the function's variables, and NODE_PATH at a folder with the AWS SDK v3 only, standing in
 * for /var/runtime/node_modules.
 */
export function invokeLambda(opts: InvokeOptions): Promise<LambdaRun> {
  const runtimeDir = runtimeNodeModules();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    HOME: path.join(opts.taskRoot, '..', 'no-home'),
    NODE_PATH: path.join(runtimeDir, 'node_modules'),
    LAMBDA_TASK_ROOT: opts.taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: opts.handler,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    AWS_LAMBDA_FUNCTION_NAME: opts.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    ...opts.variables,
    ...opts.aws,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, JSON.stringify(opts.events)], {
      cwd: opts.taskRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (err) => {
      fs.rmSync(runtimeDir, { recursive: true, force: true });
      reject(err);
    });
    child.on('close', () => {
      clearTimeout(timer);
      fs.rmSync(runtimeDir, { recursive: true, force: true });
      const run: LambdaRun = { invocations: [], stderr, logs: '' };
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('@@lambda ')) {
          run.logs += `${line}\n`;
          continue;
        }
        const parsed = JSON.parse(line.slice('@@lambda '.length)) as Invocation & { init?: { error: LambdaError } };
        if (parsed.init) run.initError = parsed.init.error;
        else run.invocations.push(parsed);
      }
      resolve(run);
    });
  });
}
