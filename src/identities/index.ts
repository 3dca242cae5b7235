import type { IdentityRecord } from '../core/format.js';
import { localIdentity, localRecipient, newLocalRecipient } from './local.js';

export { localKeyInEnv } from './local.js';
import type { Identity, IdentitySpec, Recipient } from './types.js';

export type { Identity, IdentitySpec, Recipient, StageContext, WrapResult } from './types.js';

// The AWS SDK is imported only when a stage actually uses KMS, so runs with a local key never load it.
const kms = () => import('./aws-kms.js');

/** The identity a record of a stage file stands for. */
export async function identityOf(record: IdentityRecord, env: NodeJS.ProcessEnv): Promise<Identity> {
  if (record.type === 'local') return localIdentity(record, env);
  return (await kms()).kmsIdentity(record, env);
}

/**
 * Who to wrap a stage private key for: a spec makes a new identity (init, rewrap); a record wraps a
 * new key for an identity the stage already has (rotate), keeping its id.
 */
export async function recipientFor(target: IdentitySpec | IdentityRecord, env: NodeJS.ProcessEnv): Promise<Recipient> {
  if ('id' in target) {
    if (target.type === 'local') return localRecipient(target, env);
    return (await kms()).kmsRecipient(target, env);
  }
  if (target.type === 'local') return newLocalRecipient(env);
  return (await kms()).newKmsRecipient(target, env);
}

/**
 * Whether trying this identity costs no wait on the network when it cannot be used: local keys are
 * looked up on this machine; KMS is asked only when AWS credentials are configured in the env.
 */
export function canTryQuickly(record: IdentityRecord, env: NodeJS.ProcessEnv): boolean {
  if (record.type === 'local') return true;
  return [
    'AWS_ACCESS_KEY_ID',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ].some((name) => Boolean(env[name]));
}
