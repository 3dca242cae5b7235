/** The names of a secrets folder's stages, read without a key through the stages/ list use case. */
import { listSecrets, secretNamesIn, type SecretInfo } from '../stages/list.js';
import { stagesIn } from '../stages/locate.js';
import { pastSecretNames } from '../git/past-names.js';

/** A stage's secrets by name. */
export function stageSecretInfos(
  stage: string,
  dir: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Map<string, SecretInfo> {
  return new Map(listSecrets({ stage, dir, cwd, env }).map((s) => [s.name, s]));
}

/**
 * Every name any stage of the folder has (a stage file that cannot be read adds none), but `except`'s,
 * which the caller already holds, and every name git history knows as a secret of the folder (a name the
 * code reads stays needed after it left every stage). The folder is given: no search, no key.
 */
export function knownSecretNames(dir: string, cwd: string, env: NodeJS.ProcessEnv, except?: string): Set<string> {
  const names = pastSecretNames(dir, env);
  for (const stage of stagesIn(dir) ?? []) {
    if (stage === except) continue;
    try {
      for (const name of secretNamesIn(dir, stage, cwd, env)) names.add(name);
    } catch {
      // unreadable stage files are the build's and verify's to report
    }
  }
  return names;
}
