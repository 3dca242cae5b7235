import { StageSecretsError } from '../core/errors.js';
import type { KeyProvider } from './types.js';

// Placeholder until the KMS identity lands (issue 3); never reached by local-key stages.
export function createKmsProvider(_env: NodeJS.ProcessEnv): KeyProvider {
  const unavailable = (): never => {
    throw new StageSecretsError('KEY_UNAVAILABLE', 'the aws-kms identity is not available in this build');
  };
  return { type: 'aws-kms', create: unavailable, rewrap: unavailable, unwrap: unavailable, describe: (r) => r.id };
}
