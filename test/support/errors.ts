import { expect } from 'vitest';
import { StageSecretsError } from '../../src/core/errors.js';

/** The message of the USAGE error `fn` throws; fails the test when it throws none or another. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('no error');
}
