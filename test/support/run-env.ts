import { childEnv } from '../../src/runner/env.js';
import { createRunToken } from '../../src/run-env/token.js';

export interface ProvenRunEnv {
  /** the child env `stage-secrets run` would set up: inherited, the values, the contract and its MAC */
  env: NodeJS.ProcessEnv;
  /** removes the token, as run does when it ends */
  remove(): void;
}

/**
 * The env `stage-secrets run` gives its child for these values of `stage` read from `stageFile`, made by
 * run's own code with a real token file: for tests of what runs under run without starting a process.
 */
export function provenRunEnv(
  inherited: NodeJS.ProcessEnv,
  stage: string,
  stageFile: string,
  values: Record<string, string>,
): ProvenRunEnv {
  const token = createRunToken();
  const secrets = new Map(Object.entries(values).map(([name, text]) => [name, { type: 'string' as const, text }]));
  try {
    return {
      env: childEnv(inherited, secrets, stage, { stageFile, tokenFile: token.file, token: token.token }),
      remove: token.remove,
    };
  } catch (err) {
    token.remove();
    throw err;
  }
}
