import { NETWORK_CODES } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';

/**
 * An AWS answer (SSM, Secrets Manager) as one of our errors: denied is ACCESS_DENIED (exit 3) naming the
 * permissions `needs`, unreachable is KEY_UNAVAILABLE, anything else keeps the service's error name. The
 * SDK's own message is not passed on: it may quote the request.
 */
export function awsSourceError(err: unknown, what: string, needs: string): StageSecretsError {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  if (status === 403 || /AccessDenied|UnrecognizedClient|InvalidSignature|KMSAccessDenied/.test(name)) {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `${what}: access denied (${name}); the build's AWS identity needs ${needs}.`,
      {
        cause: err,
      },
    );
  }
  if ((e.code && NETWORK_CODES.has(e.code)) || name === 'TimeoutError') {
    return new StageSecretsError('KEY_UNAVAILABLE', `${what}: AWS could not be reached (${e.code ?? name}).`, {
      cause: err,
    });
  }
  if (/NotFound|ParameterNotFound/.test(name)) {
    return new StageSecretsError('NOT_FOUND', `${what}: not found (${name}).`, { cause: err });
  }
  return new StageSecretsError('IO', `${what} failed (${name}).`, { cause: err });
}
