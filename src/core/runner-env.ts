import { StageSecretsError } from './errors.js';
import { keyNameProblem } from './names.js';

/** Set by `stage-secrets run` in its child: the stage it decrypted. */
export const RUNNER_STAGE_VAR = 'STAGE_SECRETS_STAGE';
/** Set by `stage-secrets run` in its child: the comma-separated names of the secrets it put in the env. */
export const RUNNER_KEYS_VAR = 'STAGE_SECRETS_KEYS';

/**
 * The secrets `stage-secrets run` already decrypted into this process's env, when it ran for `stage`.
 * Returns undefined when there is no runner env, or it is for another stage (then the caller opens the
 * stage file itself). Throws when the runner env is inconsistent rather than handing out half a stage.
 */
export function secretsFromRunnerEnv(stage: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  const keys = env[RUNNER_KEYS_VAR];
  if (keys === undefined || env[RUNNER_STAGE_VAR] !== stage) return undefined;
  const names = keys
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  const secrets: Record<string, string> = {};
  for (const name of names) {
    const problem = keyNameProblem(name);
    if (problem) {
      throw new StageSecretsError('INVALID_NAME', `${RUNNER_KEYS_VAR} lists a name that cannot be a secret: ${problem}. Start the build with stage-secrets run, and do not set ${RUNNER_KEYS_VAR} by hand.`);
    }
    const value = env[name];
    if (value === undefined) {
      throw new StageSecretsError(
        'NOT_FOUND',
        `${RUNNER_KEYS_VAR} lists ${name}, but the environment has no ${name}: something between stage-secrets run and this process removed it. Pass the environment through unchanged.`,
      );
    }
    secrets[name] = value;
  }
  return secrets;
}
