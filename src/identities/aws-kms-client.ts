import type { KMSClient } from '@aws-sdk/client-kms';
import { quietSdkConstruction } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';

/** How hard to try KMS before giving up; from STAGE_SECRETS_KMS_* (or AWS_MAX_ATTEMPTS). */
export interface KmsRetrySettings {
  /** total attempts per KMS call, first try included */
  maxAttempts: number;
  /** per attempt: connecting plus the whole request/response */
  timeoutMs: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_TIMEOUT_MS = 10_000;

function intSetting(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StageSecretsError('USAGE', `${name} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

export function retrySettings(env: NodeJS.ProcessEnv): KmsRetrySettings {
  return {
    maxAttempts:
      intSetting(env, 'STAGE_SECRETS_KMS_MAX_ATTEMPTS', 1, 20) ??
      intSetting(env, 'AWS_MAX_ATTEMPTS', 1, 20) ??
      DEFAULT_MAX_ATTEMPTS,
    timeoutMs: intSetting(env, 'STAGE_SECRETS_KMS_TIMEOUT_MS', 50, 300_000) ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The region a KMS key ARN names ("arn:aws:kms:REGION:ACCOUNT:key/ID"), if the id is an ARN. */
export function regionOfArn(keyRef: string | undefined): string | undefined {
  const match = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyRef ?? '');
  return match?.[1];
}

/** The SDK module; how it is found can be changed (the Lambda runtime wrapper resolves it from the task root). */
export type KmsSdk = typeof import('@aws-sdk/client-kms');

let loadSdk: () => Promise<KmsSdk> = () => import('@aws-sdk/client-kms');

/** Where the SDK comes from in this process; set once by an entry point that cannot use a plain import. */
export function setKmsSdkLoader(loader: () => Promise<KmsSdk>): void {
  loadSdk = loader;
}

/** The KMS SDK, imported on first use so stages without KMS never load it. */
export function kmsSdk(): Promise<KmsSdk> {
  return loadSdk();
}

// One client per region, retry setting and what the SDK reads from the environment when a client is built
// (endpoint, profile, credentials): a process talks to KMS over few, reused connections, and a changed
// endpoint or key (a test's new server, a caller's other account) is never answered by an old client.
const clients = new Map<string, KMSClient>();
const BUILT_FROM_ENV = ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID'] as const;

/**
 * Returns a KMS client. The SDK is imported here, on first use, so stages without KMS never load it.
 * Credentials, profile and endpoint (AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL / config file) come from the
 * SDK's standard resolution; `region` overrides the default region (AWS_REGION / profile) when given.
 */
export async function kmsClient(region: string | undefined, settings: KmsRetrySettings): Promise<KMSClient> {
  const cacheKey = JSON.stringify([
    region ?? null,
    settings.maxAttempts,
    settings.timeoutMs,
    ...BUILT_FROM_ENV.map((name) => process.env[name] ?? null),
  ]);
  const cached = clients.get(cacheKey);
  if (cached) return cached;
  const { KMSClient } = await kmsSdk();
  const client = quietSdkConstruction(
    () =>
      new KMSClient({
        ...(region ? { region } : {}),
        maxAttempts: settings.maxAttempts,
        retryMode: 'standard',
        requestHandler: {
          connectionTimeout: settings.timeoutMs,
          requestTimeout: settings.timeoutMs,
          throwOnRequestTimeout: true,
        },
      }),
  );
  clients.set(cacheKey, client);
  return client;
}
