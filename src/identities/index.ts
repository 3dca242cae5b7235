import type { IdentityRecord } from '../core/format.js';
import { createLocalProvider } from './local.js';
import type { KeyProvider } from './types.js';

export type { KeyProvider, IdentitySpec, StageContext, WrapResult } from './types.js';

/**
 * Returns the provider for an identity type. The AWS SDK is imported only when a stage actually uses
 * KMS, so runs with a local key never load it.
 */
export async function providerFor(type: IdentityRecord['type'], env: NodeJS.ProcessEnv = process.env): Promise<KeyProvider> {
  if (type === 'local') return createLocalProvider(env);
  const { createKmsProvider } = await import('./aws-kms.js');
  return createKmsProvider(env);
}
