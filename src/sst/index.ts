import { StageSecretsError } from '../core/errors.js';
import { assertStageName } from '../core/names.js';
import { unverifiedRunEnvError } from '../core/run-env.js';
import { loadSecrets, secretsFromCheckedRunEnv } from '../stages/load.js';
import type { ExpectedApp } from '../stages/options.js';

/** The part of an SST app (v1 or v2 `App`, or `$app` in an SST v3+ `run()`) that secretEnv reads. */
export interface SstAppLike {
  readonly stage: string;
  readonly name: string;
}

export interface SecretEnvOptions {
  /**
   * The SST app given to `stacks(app)` (v1/v2) or `$app` (v3+): its `stage` and `name` are used. Or the app
   * name as a string.
   * A named app makes a stage file of another app an error.
   */
  app?: SstAppLike | string;
  /** Stage to read; default: the SST app's stage, else env SST_STAGE. */
  stage?: string;
  /** Secrets folder; default env STAGE_SECRETS_DIR, else the nearest secrets/ with a stage file from cwd up to the git root. */
  dir?: string;
  /** Folder the secrets folder is relative to; default the process's working folder. */
  cwd?: string;
  /** Environment to read the runner's secrets, SST_STAGE and key settings from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The env of one stage, ready for `app.addDefaultFunctionEnv(...)`, `{ environment }` or transformFunctionEnv. */
export type SecretEnv = Record<string, string>;

interface Resolved {
  stage: string;
  app?: ExpectedApp;
  env: NodeJS.ProcessEnv;
}

function resolve(options: SecretEnvOptions): Resolved {
  const env = options.env ?? process.env;
  const sstApp = typeof options.app === 'object' ? options.app : undefined;
  const stage = options.stage ?? sstApp?.stage ?? env.SST_STAGE;
  if (!stage) {
    throw new StageSecretsError(
      'USAGE',
      'secretEnv does not know the stage: pass secretEnv({ app }) inside stacks(app), or secretEnv({ stage: "prod" }), or run under SST (which sets SST_STAGE).',
    );
  }
  assertStageName(stage);
  if (typeof options.app === 'string') return { stage, app: { name: options.app, from: 'secretEnv({ app })' }, env };
  if (sstApp) return { stage, app: { name: sstApp.name, from: 'the SST app name in sst.config' }, env };
  return { stage, env };
}

/**
 * The stage's secrets as env variables for SST's `app.addDefaultFunctionEnv(...)` (v1/v2) or
 * `app.setDefaultFunctionProps({ environment })`. Under `stage-secrets run` for the same stage they come
 * from the env the runner set; otherwise the stage file is opened (local key or AWS KMS).
 */
export async function secretEnv(options: SecretEnvOptions = {}): Promise<SecretEnv> {
  const resolved = resolve(options);
  const loaded = await loadSecrets({
    stage: resolved.stage,
    dir: options.dir,
    app: resolved.app,
    cwd: options.cwd,
    env: resolved.env,
  });
  const out: SecretEnv = {};
  for (const [name, value] of loaded.values) out[name] = value.text;
  return out;
}

/**
 * Synchronous variant for configs that cannot await: reads only the env of `stage-secrets run`
 * (decrypting the stage file needs async key access, e.g. AWS KMS), and refuses an env that states run's
 * secrets without run's proof.
 */
export function secretEnvSync(options: SecretEnvOptions = {}): SecretEnv {
  const resolved = resolve(options);
  const fromRun = secretsFromCheckedRunEnv({
    stage: resolved.stage,
    dir: options.dir,
    app: resolved.app,
    cwd: options.cwd,
    env: resolved.env,
  });
  // it cannot open the stage file instead (that needs async key access)
  if (fromRun && 'problem' in fromRun) throw unverifiedRunEnvError(resolved.stage, fromRun.problem);
  if (fromRun) return Object.fromEntries([...fromRun.values].map(([name, value]) => [name, value.text]));
  throw new StageSecretsError(
    'USAGE',
    `secretEnvSync found no secrets of stage ${resolved.stage} in the environment: run the build under npx --no-install stage-secrets run --stage ${resolved.stage} -- <sst command>, or use await secretEnv() in an async stacks function.`,
  );
}

/** The part of an SST v3+ component's args that transformFunctionEnv changes (`sst.aws.Function`'s args). */
export interface FunctionEnvArgs {
  environment?: unknown;
}

/** A `$transform` callback: `(args, opts, name) => void`. */
export type FunctionEnvTransform = (args: FunctionEnvArgs, opts?: unknown, name?: string) => void;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * For SST v3 and later: a synchronous `$transform(sst.aws.Function, ...)` callback that sets each function's
 * `environment` to its own entries merged with `secrets`, secrets winning (as the Serverless plugin does).
 * `$transform` callbacks cannot await, so load first: `transformFunctionEnv(await secretEnv({ app: $app }))`.
 *
 * A function's own `environment` must be absent or a plain object (its values may be Pulumi Outputs); a whole
 * `environment` given as an Output or a Promise cannot be merged synchronously and is refused with an error
 * naming the function. The given object is copied, never changed.
 */
export function transformFunctionEnv(secrets: SecretEnv): FunctionEnvTransform {
  const fixed: SecretEnv = { ...secrets };
  const names = Object.keys(fixed);
  return (args, _opts, name) => {
    if (names.length === 0) return;
    const own = args.environment;
    if (own === undefined || own === null) {
      args.environment = { ...fixed };
      return;
    }
    if (!isPlainObject(own)) {
      throw new StageSecretsError(
        'USAGE',
        `transformFunctionEnv cannot merge the stage secrets into the environment of function ${name ?? '(unnamed)'}: ` +
          'it is not a plain object (a Pulumi Output or a Promise?), and a $transform callback cannot wait for it. ' +
          'Give that function a plain object (its values may be Outputs: { BUCKET: bucket.name }).',
      );
    }
    args.environment = { ...own, ...fixed };
  };
}
