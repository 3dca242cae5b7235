import { StageSecretsError } from '../core/errors.js';
import { loadSecrets } from './load.js';
import type { StageOptions } from './options.js';

/** `ssm:/PATH/`: where publish writes (the only target for now). */
export function parsePublishTarget(text: string): string {
  const path = text.startsWith('ssm:') ? text.slice('ssm:'.length) : undefined;
  if (path === undefined || !/^\/[A-Za-z0-9_.\-/]*$/.test(path) || path.includes('//')) {
    throw new StageSecretsError('USAGE', '--to takes an SSM parameter path, e.g. --to ssm:/org/shared/prod/');
  }
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * A key holder's publish: opens the stage (approved names only, as a build does) and writes each value to
 * SSM as a SecureString under PATH/NAME, rewriting only what changed.
 */
export async function publishStage(opts: StageOptions, target: string, settings: { kmsKey?: string; prune: boolean }) {
  const path = parsePublishTarget(target);
  const loaded = await loadSecrets({ ...opts, runEnv: false });
  const texts = new Map([...loaded.values].map(([name, value]) => [name, value.text]));
  const { publishParameters } = await import('../aws/ssm-parameters.js');
  return { path, counts: await publishParameters(path, texts, settings) };
}
