import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/core/exit-codes.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import {
  assertKeyName,
  BUILD_HIJACK_NAMES,
  keyNameProblem,
  LAMBDA_RESERVED_NAMES,
  RESERVED_PREFIXES,
  reservedReason,
  stageKeyEnvName,
} from '../../../src/core/names.js';

describe('key names', () => {
  it('accepts ordinary names', () => {
    for (const name of ['A', 'API_KEY', 'stripeKey2', 'x'.repeat(100)]) expect(keyNameProblem(name)).toBeUndefined();
  });

  it('refuses names that break the rule', () => {
    for (const name of ['', '1ABC', '_X', 'A-B', 'A B', 'Ä', 'x'.repeat(101), 'A=B']) {
      expect(keyNameProblem(name)).toMatch(/invalid secret name/);
    }
  });

  it('refuses every Lambda-reserved and build-hijacking name, in any case', () => {
    for (const name of [...LAMBDA_RESERVED_NAMES, ...BUILD_HIJACK_NAMES].filter((n) => /^[A-Za-z]/.test(n))) {
      expect(keyNameProblem(name), name).toBeDefined();
      expect(keyNameProblem(name.toLowerCase()), name).toBeDefined();
    }
    for (const name of [
      'AWS_PROFILE',
      'LD_PRELOAD',
      'DYLD_INSERT_LIBRARIES',
      'npm_config_registry',
      'STAGE_SECRETS_KEYS',
    ]) {
      expect(keyNameProblem(name), name).toBeDefined();
    }
  });

  it('names the first refused prefix of the list a name starts with, in any case; NODE_ENV stays allowed', () => {
    const firstPrefix = (name: string) => RESERVED_PREFIXES.find((p) => name.toUpperCase().startsWith(p));
    for (const name of [...RESERVED_PREFIXES.map((p) => `${p}X`), 'CORECLR_X', 'COR_X', 'coreclr_x', 'PYTHONX']) {
      const prefix = firstPrefix(name);
      expect(prefix, name).toBeDefined();
      expect(reservedReason(name), name).toContain(`names starting with ${prefix} `);
    }
    for (const name of ['NODE_ENV', 'node_env', 'AWSX', 'CORE_X', 'MY_AWS_KEY'])
      expect(reservedReason(name), name).toBeUndefined();
  });

  it('throws INVALID_NAME (exit 1) with a message naming the reason', () => {
    try {
      assertKeyName('NODE_OPTIONS');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StageSecretsError);
      expect((err as StageSecretsError).code).toBe('INVALID_NAME');
      expect(exitCodeOf((err as StageSecretsError).code)).toBe(1);
      expect((err as Error).message).toMatch(/NODE_OPTIONS.*build/);
    }
  });

  it('maps a stage to its key env var', () => {
    expect(stageKeyEnvName('dev')).toBe('STAGE_SECRETS_KEY_DEV');
    expect(stageKeyEnvName('pr-12')).toBe('STAGE_SECRETS_KEY_PR_12');
  });
});
