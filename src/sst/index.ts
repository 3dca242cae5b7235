import { StageSecretsError } from '../core/errors.js';
import { assertStageName } from '../core/names.js';
import { secretsFromRunEnv } from '../core/run-env.js';
import { loadSecrets } from '../stages/load.js';
import type { ExpectedApp } from '../stages/options.js';

/** The part of an SST app (v1 or v2 `App`) that secretEnv reads. */
export interface SstAppLike {
  readonly stage: string;
  readonly name: string;
}

export interface SecretEnvOptions {
  /**
   * The SST app given to `stacks(app)` (its `stage` and `name` are used), or the app name as a string.
   * A named app makes a stage file of another app an error.
   */
  app?: SstAppLike | string;
  /** Stage to read; default: the SST app's stage, else env SST_STAGE. */
  stage?: string;
  /** Secrets folder; default env STAGE_SECRETS_DIR, else "secrets". */
  dir?: string;
  /** Folder the secrets folder is relative to; default the process's working folder. */
  cwd?: string;
  /** Environment to read the runner's secrets, SST_STAGE and key settings from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The env of one stage, ready for `app.addDefaultFunctionEnv(...)` or `{ environment }`. */
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
  if (typeof options.app === 'string') return { stage, app: { name: options.app, source: 'secretEnv({ app })' }, env };
  if (sstApp) return { stage, app: { name: sstApp.name, source: 'the SST app name in sst.config' }, env };
  return { stage, env };
}

/**
 * The stage's secrets as env variables for SST's `app.addDefaultFunctionEnv(...)` (v1/v2) or
 * `app.setDefaultFunctionProps({ environment })`. Under `stage-secrets run` for the same stage they come
 * from the env the runner set; otherwise the stage file is opened (local key or AWS KMS).
 */
export async function secretEnv(options: SecretEnvOptions = {}): Promise<SecretEnv> {
  const resolved = resolve(options);
  const loaded = await loadSecrets({ stage: resolved.stage, dir: options.dir, app: resolved.app, cwd: options.cwd, env: resolved.env });
  const out: SecretEnv = {};
  for (const [name, value] of loaded.values) out[name] = value.text;
  return out;
}

/**
 * Synchronous variant for configs that cannot await: reads only the env of `stage-secrets run`
 * (decrypting the stage file needs async key access, e.g. AWS KMS).
 */
export function secretEnvSync(options: SecretEnvOptions = {}): SecretEnv {
  const resolved = resolve(options);
  const fromRun = secretsFromRunEnv(resolved.stage, resolved.env);
  if (fromRun) return Object.fromEntries(fromRun);
  throw new StageSecretsError(
    'USAGE',
    `secretEnvSync found no secrets of stage ${resolved.stage} in the environment: run the build under stage-secrets run --stage ${resolved.stage} -- <sst command>, or use await secretEnv() in an async stacks function.`,
  );
}
