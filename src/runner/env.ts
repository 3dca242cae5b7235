import { stageKeyEnvName } from '../core/names.js';
import { RUN_KEYS_VAR, RUN_STAGE_VAR } from '../core/run-env.js';
import { assertEnvSafe, type SecretValue } from '../core/values.js';

/**
 * The child's env: the inherited env, then every secret (a secret wins over an inherited variable
 * of the same name), then the run-env contract (core/run-env.ts). The stage's own key variable
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
  env[RUN_STAGE_VAR] = stage;
  env[RUN_KEYS_VAR] = names.join(',');
  return env;
}
