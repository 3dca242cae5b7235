import { StageSecretsError } from '../core/errors.js';
import type { StageContext } from './types.js';
import { NETWORK_CODES } from '../core/aws-sdk.js';

/** What was being done when KMS failed, for a message a CI user can act on. */
export interface KmsCallInfo {
  operation: 'Encrypt' | 'Decrypt';
  /** the key as the user named it, plus its ARN when known */
  keyLabel: string;
  region?: string;
  ctx: StageContext;
  maxAttempts: number;
}

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  /** the raw answer, kept by the SDK when its body could not be parsed (a proxy's XML or HTML page) */
  $response?: { statusCode?: number };
}

/** HTTP 403 however the SDK carries it: an IAM-auth proxy or emulator answers a denial with no KMS JSON. */
function isForbidden(err: SdkErrorLike): boolean {
  return err.$metadata?.httpStatusCode === 403 || err.$response?.statusCode === 403;
}

const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationTokenException',
]);
const WRONG_BLOB = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
/** KMS's own words, on one short line. They name principals and ARNs, never key material. */
function kmsSaid(err: SdkErrorLike): string {
  const text = (err.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 400);
  return text ? ` KMS said: ${text}` : '';
}

function isUnavailable(err: SdkErrorLike): boolean {
  const status = err.$metadata?.httpStatusCode ?? 0;
  return (
    status >= 500 ||
    status === 429 ||
    /Throttl|LimitExceeded|TooManyRequests|RequestLimitExceeded/.test(err.name ?? '') ||
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    err.name === 'KMSInternalException' ||
    err.name === 'DependencyTimeoutException' ||
    NETWORK_CODES.has(err.code ?? '')
  );
}

function lastFailure(err: SdkErrorLike): string {
  if (err.code && NETWORK_CODES.has(err.code)) return `${err.code} (connection failed)`;
  if (err.name === 'TimeoutError') return 'no answer within STAGE_SECRETS_KMS_TIMEOUT_MS';
  const status = err.$metadata?.httpStatusCode;
  const name = err.name && err.name !== 'Error' ? err.name : 'error';
  return status ? `${name}, HTTP ${status}` : name;
}

/** Turns an SDK failure into an error with the right exit code and a next step; never includes key bytes. */
export function kmsError(err: unknown, call: KmsCallInfo): StageSecretsError {
  if (err instanceof StageSecretsError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  const name = e.name ?? '';
  const key = call.keyLabel;
  const where = call.region ? ` in region ${call.region}` : '';
  const permission = `kms:${call.operation}`;
  const context = `encryption context app=${call.ctx.app}, stage=${call.ctx.stage}`;

  const regionProblem = /^Region is missing$|^Region not accepted|^Invalid region/i.exec(e.message ?? '');
  if (regionProblem) {
    const what =
      regionProblem[0] === 'Region is missing'
        ? 'no AWS region'
        : `no valid AWS region (${(e.message ?? '').slice(0, 120)})`;
    return new StageSecretsError(
      'KEY_MISSING',
      `${what} for KMS key ${key}: set AWS_REGION (or a profile with a region), name the key by its ARN, or pass --region to init/rewrap.`,
      { cause: err },
    );
  }
  if (name === 'CredentialsProviderError') {
    return new StageSecretsError(
      'KEY_MISSING',
      `no AWS credentials to call ${permission} on KMS key ${key}: give the job an AWS role (e.g. OIDC) or set AWS_PROFILE / AWS_ACCESS_KEY_ID.`,
      { cause: err },
    );
  }
  if (DENIED.has(name) || isForbidden(e)) {
    // a body that is not KMS JSON is a page, not KMS's words: not quoted
    const said = DENIED.has(name) ? kmsSaid(e) : ' (HTTP 403)';
    return new StageSecretsError(
      'ACCESS_DENIED',
      `access denied to KMS key ${key}${where}: the AWS identity in use needs ${permission} on this key (${context}). Grant it in the role's IAM policy or the key policy (see docs/aws-kms.md).${said}`,
      { cause: err },
    );
  }
  if (name === 'NotFoundException') {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `KMS key ${key} was not found${where}: check the key id or alias and the region (AWS_REGION, or --region at init), and that the AWS identity may use it (${permission}).${kmsSaid(e)}`,
      { cause: err },
    );
  }
  if (name === 'DisabledException') {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `KMS key ${key}${where} is disabled: an admin must enable it before ${permission} works.${kmsSaid(e)}`,
      { cause: err },
    );
  }
  if (name === 'KMSInvalidStateException') {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `KMS key ${key}${where} is not in a usable state (pending deletion, or not yet imported): cancel the deletion or use another identity.${kmsSaid(e)}`,
      { cause: err },
    );
  }
  if (name === 'InvalidKeyUsageException') {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `KMS key ${key} cannot ${call.operation === 'Encrypt' ? 'encrypt' : 'decrypt'}: use a symmetric ENCRYPT_DECRYPT key.${kmsSaid(e)}`,
      { cause: err },
    );
  }
  if (WRONG_BLOB.has(name)) {
    return new StageSecretsError(
      'INTEGRITY',
      `KMS refused to unwrap the stage key with ${key} (${name}): the wrapped key does not belong to this key and ${context}. The stage file was changed, or copied from another app or stage; restore it from git.`,
      { cause: err },
    );
  }
  if (isUnavailable(e)) {
    const attempts = e.$metadata?.attempts ?? call.maxAttempts;
    return new StageSecretsError(
      'KEY_UNAVAILABLE',
      `AWS KMS${where} did not complete ${call.operation} for key ${key} after ${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${lastFailure(e)}). KMS is unreachable or throttling: retry later, check the network and AWS_ENDPOINT_URL_KMS, or raise STAGE_SECRETS_KMS_MAX_ATTEMPTS / STAGE_SECRETS_KMS_TIMEOUT_MS.`,
      { cause: err },
    );
  }
  return new StageSecretsError(
    'KEY_UNAVAILABLE',
    `AWS KMS ${call.operation} failed for key ${key}${where} (${name || 'unknown error'}).${kmsSaid(e)}`,
    { cause: err },
  );
}
