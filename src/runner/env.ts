import { StageSecretsError } from '../core/errors.js';
import { stageKeyEnvName } from '../core/names.js';
import type { SecretValue } from '../core/values.js';

/** Set in the child's env: the stage that was opened, and the names of its secrets (comma-separated). */
export const STAGE_ENV = 'STAGE_SECRETS_STAGE';
export const KEYS_ENV = 'STAGE_SECRETS_KEYS';

/** Refuses a value an environment variable cannot carry (the OS cuts it at a NUL byte). */
export function assertEnvSafe(name: string, text: string, where: string): void {
  if (text.includes('\0')) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `the value of ${name} contains a NUL character, which ${where} cannot hold; set it again without it (or use --format json).`,
    );
  }
}

/**
 * The child's env: the inherited env, then every secret (a secret wins over an inherited variable
 * of the same name), then STAGE_SECRETS_STAGE and STAGE_SECRETS_KEYS. The stage's own key variable
 * (STAGE_SECRETS_KEY_<STAGE>) is not passed on: the command gets the secrets, not the key to them.
 */
export function childEnv(inherited: NodeJS.ProcessEnv, secrets: ReadonlyMap<string, SecretValue>, stage: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...inherited };
  delete env[stageKeyEnvName(stage)];
  const names = [...secrets.keys()].sort();
  for (const name of names) {
    const text = secrets.get(name)!.text;
    assertEnvSafe(name, text, 'an environment variable');
    env[name] = text;
  }
  env[STAGE_ENV] = stage;
  env[KEYS_ENV] = names.join(',');
  return env;
}
