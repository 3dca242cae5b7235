import { StageSecretsError } from '../core/errors.js';
import type { IdentitySpec } from '../identities/index.js';

/** --kms/--region/--local as identity specs (init, rewrap). */
export function identitySpecs(
  command: string,
  values: { kms?: string; region?: string; local?: boolean },
): IdentitySpec[] {
  if (values.region && !values.kms) {
    throw new StageSecretsError('USAGE', `--region goes with --kms. See: stage-secrets ${command} --help`);
  }
  const specs: IdentitySpec[] = [];
  if (values.kms) specs.push({ type: 'aws-kms', keyId: values.kms, region: values.region });
  if (values.local) specs.push({ type: 'local' });
  return specs;
}
