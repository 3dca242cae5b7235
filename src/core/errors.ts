/**
 * One error class for every failure the tool reports. The code says what kind of failure it is;
 * the CLI turns codes into exit codes (src/core/exit-codes.ts).
 * Messages name what is wrong and what to do; they never contain a secret value or key material.
 */
export type ErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'INVALID_NAME' // key name breaks the naming rule or is reserved
  | 'INVALID_VALUE' // value too long, not a number, not JSON
  | 'NOT_FOUND' // unknown stage file or unknown secret
  | 'ALREADY_EXISTS' // init on an existing stage
  | 'APP_MISMATCH' // stage file belongs to another app
  | 'RUN_FILE_MISMATCH' // stage-secrets run opened another stage file than this service would
  | 'RUN_ENV_UNVERIFIED' // the env states secrets from stage-secrets run that run's token does not prove
  | 'UNSUPPORTED_VERSION' // stage file written by a newer stage-secrets
  | 'LOCKED' // another writer holds the stage lock for too long
  | 'READ_ONLY' // the secrets cannot be changed here (a deployed runtime-mode function)
  | 'IO' // file system failure outside the stage file's content
  | 'FORMAT' // stage file is not valid JSON or does not match the schema
  | 'INTEGRITY' // a ciphertext or wrapped key failed authentication
  | 'UNAPPROVED' // the stage holds names no key holder approved
  | 'KEY_MISSING' // no identity of the stage is available here
  | 'ACCESS_DENIED' // the key service refused access
  | 'KEY_UNAVAILABLE'; // the key service could not be reached in time

export class StageSecretsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StageSecretsError';
    this.code = code;
  }
}

export function isStageSecretsError(err: unknown): err is StageSecretsError {
  return err instanceof StageSecretsError;
}
