/** The names of a secrets folder's stages, read without a key through the stages/ list use case. */
import { listSecrets, type SecretInfo } from '../stages/list.js';
import { stagesIn } from '../stages/locate.js';

/** A stage's secrets by name. */
export function stageSecretInfos(
  stage: string,
  dir: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Map<string, SecretInfo> {
  return new Map(listSecrets({ stage, dir, cwd, env }).map((s) => [s.name, s]));
}

/** Every name any stage of the folder has (a stage file that cannot be read adds none). */
export function knownSecretNames(dir: string, cwd: string, env: NodeJS.ProcessEnv): Set<string> {
  const names = new Set<string>();
  for (const stage of stagesIn(dir) ?? []) {
    try {
      for (const name of stageSecretInfos(stage, dir, cwd, env).keys()) names.add(name);
    } catch {
      // unreadable stage files are the build's and verify's to report
    }
  }
  return names;
}
