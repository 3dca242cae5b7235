import { stageKeyEnvName } from '../core/names.js';
import { runEnvMac, RUN_FILE_VAR, RUN_KEYS_VAR, RUN_MAC_VAR, RUN_STAGE_VAR, RUN_TOKEN_VAR } from '../core/run-env.js';
import { assertEnvSafe, type SecretValue } from '../core/values.js';

/** What lets a process under run tell run's env apart from one a committed file set (core/run-env.ts). */
export interface RunProof {
  /** absolute real path of the stage file run opened */
  stageFile: string;
  /** run's token file, and the token in it */
  tokenFile: string;
  token: Buffer;
}

/**
 * The child's env: the inherited env, then every secret (a secret wins over an inherited variable
 * of the same name), then the run-env contract (core/run-env.ts). The stage's own key variable
 * (STAGE_SECRETS_KEY_<STAGE>) is not passed on: the command gets the secrets, not the key to them.
 */
export function childEnv(
  inherited: NodeJS.ProcessEnv,
  secrets: ReadonlyMap<string, SecretValue>,
  stage: string,
  proof: RunProof,
): NodeJS.ProcessEnv {
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
  env[RUN_FILE_VAR] = proof.stageFile;
  env[RUN_TOKEN_VAR] = proof.tokenFile;
  const texts = new Map(names.map((name) => [name, secrets.get(name)!.text]));
  env[RUN_MAC_VAR] = runEnvMac(proof.token, { stageFile: proof.stageFile, stage, values: texts });
  return env;
}
