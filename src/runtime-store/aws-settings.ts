import { NETWORK_CODES } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';

/*
 * What the AWS backends of the runtime store share (no SDK here, no service named): the client settings
 * taken from the env the client was given, and the mapping of an SDK failure to an error that names the
 * store and the next step. Each backend brings its own SDK and its own words.
 */

/** Endpoint, region, keys and attempts for an SDK client, from `env` (the SecretClient's `env` option). */
export interface AwsClientSettings {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  /** one client per distinct settings and process */
  cacheKey: string;
}

/** `serviceEndpointVar` is the SDK's service-specific endpoint variable, e.g. AWS_ENDPOINT_URL_SSM. */
export function awsClientSettings(env: NodeJS.ProcessEnv, serviceEndpointVar: string): AwsClientSettings {
  const endpoint = /^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')
    ? undefined
    : env[serviceEndpointVar] || env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const maxAttempts = Number(env.AWS_MAX_ATTEMPTS) >= 1 ? Math.min(Number(env.AWS_MAX_ATTEMPTS), 10) : 3;
  const cacheKey = JSON.stringify([endpoint, region, credentials?.accessKeyId, credentials?.sessionToken, maxAttempts]);
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts,
    cacheKey,
  };
}

/** The options every AWS backend gives its SDK client. */
export function sdkClientOptions(settings: AwsClientSettings): Record<string, unknown> {
  return {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: settings.maxAttempts,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  };
}

export interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  errors?: Array<{ code?: string }>;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

export function statusOf(err: unknown): number {
  return (err as SdkErrorLike | undefined)?.$metadata?.httpStatusCode ?? 0;
}

export function errorName(err: unknown): string {
  return (err as SdkErrorLike | undefined)?.name ?? '';
}

/** What a failure is about, for the message. */
export interface StoreErrorContext {
  /** e.g. "SSM" */
  service: string;
  /** the API operation, e.g. PutParameter */
  operation: string;
  /** the store's URL */
  url: string;
  /** the object or folder, as a URL */
  where: string;
  /** the grant a denial lacks, in words with ARNs */
  needs: string;
  /** the endpoint variable to check when unreachable */
  endpointVar: string;
}

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
]);

/** The service's own words on one short line; they name resources and principals, never values (none is sent). */
function said(service: string, err: SdkErrorLike): string {
  const text = (err.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  return text && text !== 'UnknownError' ? ` ${service} said: ${text}` : '';
}

/** Turns an SDK failure into an error with the right code and a next step. */
export function awsStoreError(err: unknown, ctx: StoreErrorContext): StageSecretsError {
  if (err instanceof StageSecretsError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  if (/^Region is missing$/i.test(e.message ?? '')) {
    return new StageSecretsError(
      'USAGE',
      `no AWS region for the runtime store ${ctx.url}: set AWS_REGION (or a profile with a region).`,
      { cause: err },
    );
  }
  if (e.name === 'CredentialsProviderError') {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `no AWS credentials to reach the runtime store ${ctx.url}: give the job or function an AWS role, or set AWS_PROFILE / AWS_ACCESS_KEY_ID.`,
      { cause: err },
    );
  }
  if (DENIED.has(e.name ?? '') || statusOf(e) === 403) {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `access denied to the runtime store (${ctx.operation} on ${ctx.where}): the AWS identity needs ${ctx.needs} (docs/runtime-store.md). Nothing was written.${said(ctx.service, e)}`,
      { cause: err },
    );
  }
  const code = e.code ?? e.errors?.find((x) => x.code)?.code;
  const network = code && NETWORK_CODES.has(code) ? code : undefined;
  if (
    network ||
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.name === 'ThrottlingException' ||
    statusOf(e) >= 500 ||
    statusOf(e) === 429
  ) {
    const attempts = e.$metadata?.attempts;
    const last = network
      ? `${network} (connection failed)`
      : e.name === 'TimeoutError'
        ? 'no answer in time'
        : `${e.name ?? 'error'}, HTTP ${statusOf(e)}`;
    return new StageSecretsError(
      'IO',
      `the runtime store ${ctx.url} could not be reached for ${ctx.operation}${attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : ''} (last: ${last}). Nothing was written; retry later, and check the network and ${ctx.endpointVar}.`,
      { cause: err },
    );
  }
  return new StageSecretsError(
    'IO',
    `${ctx.operation} on the runtime store failed for ${ctx.where} (${e.name || 'unknown error'}). Nothing was written.${said(ctx.service, e)}`,
    { cause: err },
  );
}

/** The secret name an object key stands for (`.../<NAME>.json`), for messages. */
export function secretNameOfKey(key: string): string {
  return (
    key
      .replace(/\.json$/, '')
      .split('/')
      .at(-1) ?? key
  );
}
