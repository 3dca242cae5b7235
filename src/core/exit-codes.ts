import type { ErrorCode } from './errors.js';

/** The CLI contract's exit codes, the Action's too: 1 user error, 2 integrity or decrypt failure, 3 key access. */
const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 1,
  INVALID_NAME: 1,
  INVALID_VALUE: 1,
  NOT_FOUND: 1,
  ALREADY_EXISTS: 1,
  APP_MISMATCH: 1,
  RUN_FILE_MISMATCH: 1,
  UNSUPPORTED_VERSION: 1,
  LOCKED: 1,
  READ_ONLY: 1,
  IO: 1,
  FORMAT: 2,
  INTEGRITY: 2,
  RUN_ENV_UNVERIFIED: 2,
  UNAPPROVED: 2,
  KEY_MISSING: 3,
  ACCESS_DENIED: 3,
  KEY_UNAVAILABLE: 3,
};

export function exitCodeOf(code: ErrorCode): number {
  return EXIT_CODES[code];
}
