import { StageSecretsError } from './errors.js';
import { keyNameProblem } from './names.js';

/**
 * The contract between `stage-secrets run` and what runs under it (the plugin, the SST helper, the
 * client): run sets these in its child's env, next to the secrets themselves.
 */
/** The stage run decrypted. */
export const RUN_STAGE_VAR = 'STAGE_SECRETS_STAGE';
/** The comma-separated names of the secrets run put in the env. */
export const RUN_KEYS_VAR = 'STAGE_SECRETS_KEYS';
/**
 * The absolute real path of the stage file run opened. What runs under run finds its own stage file
 * and compares: a service of another app (or folder) never takes secrets that were not its own.
 */
export const RUN_FILE_VAR = 'STAGE_SECRETS_FILE';

/**
 * Set by `stage-secrets init` (to "1") while it asks the project's `serverless print` for the service
 * name: the plugin then resolves `${secret:...}` to a placeholder, for print only (the stage may not
 * have a file yet, and print shows what it resolves).
 */
export const APP_PROBE_VAR = 'STAGE_SECRETS_APP_PROBE';

/**
 * The secrets `stage-secrets run` already decrypted into this env, when it ran for `stage`.
 * Returns undefined when there is no run env, or it is for another stage (then the caller opens the
 * stage file itself). Throws when the run env is inconsistent rather than handing out half a stage.
 */
export function secretsFromRunEnv(stage: string, env: NodeJS.ProcessEnv): Map<string, string> | undefined {
  const keys = env[RUN_KEYS_VAR];
  if (keys === undefined || env[RUN_STAGE_VAR] !== stage) return undefined;
  const names = keys
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  const secrets = new Map<string, string>();
  for (const name of names) {
    const problem = keyNameProblem(name);
    if (problem) {
      throw new StageSecretsError('INVALID_NAME', `${RUN_KEYS_VAR} lists a name that cannot be a secret: ${problem}. Start the build with stage-secrets run, and do not set ${RUN_KEYS_VAR} by hand.`);
    }
    const value = env[name];
    if (value === undefined) {
      throw new StageSecretsError(
        'NOT_FOUND',
        `${RUN_KEYS_VAR} lists ${name}, but the environment has no ${name}: something between stage-secrets run and this process removed it. Pass the environment through unchanged.`,
      );
    }
    secrets.set(name, value);
  }
  return secrets;
}

/** The stage whose secrets run put in this env, if any (for messages). */
export function runEnvStage(env: NodeJS.ProcessEnv): string | undefined {
  return env[RUN_KEYS_VAR] === undefined ? undefined : (env[RUN_STAGE_VAR] ?? '(unknown)');
}
