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
 * SSM as a SecureString under PATH/NAME, rewriting only what changed. References are skipped (and left by
 * --prune) unless `resolveRefs`, which publishes the value each target holds now.
 */
export async function publishStage(
  opts: StageOptions,
  target: string,
  settings: { kmsKey?: string; prune: boolean; resolveRefs?: boolean },
) {
  const path = parsePublishTarget(target);
  const resolve = settings.resolveRefs === true;
  const loaded = await loadSecrets({ ...opts, runEnv: false, references: resolve ? 'resolve' : 'keep' });
  // references are published only resolved, when asked: a target's text is no value to publish
  const skipped = [...loaded.values].filter(([, value]) => value.ref === true).map(([name]) => name);
  const texts = new Map(
    [...loaded.values].filter(([, value]) => value.ref !== true).map(([name, value]) => [name, value.text]),
  );
  const { publishParameters } = await import('../aws/ssm-parameters.js');
  const counts = await publishParameters(path, texts, {
    kmsKey: settings.kmsKey,
    prune: settings.prune,
    keep: new Set(skipped),
  });
  return { path, counts, skippedReferences: skipped };
}
