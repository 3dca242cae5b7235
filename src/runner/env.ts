import { isStageKeyEnvName } from '../core/names.js';
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
 * of the same name), then the run-env contract (core/run-env.ts). No stage key variable
 * (STAGE_SECRETS_KEY_*, of any stage, in any letter case) is passed on: the command gets the secrets,
 * not a key to them. In a preview stage the command is an unmerged pull request's code, and the key
 * that opened its fallback stage would let it approve names there and open that stage's history.
 */
export function childEnv(
  inherited: NodeJS.ProcessEnv,
  secrets: ReadonlyMap<string, SecretValue>,
  stage: string,
  proof: RunProof,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(inherited)) if (!isStageKeyEnvName(name)) env[name] = value;
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
