import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../src/core/errors.js';
import { secretsFromRunEnv } from '../../src/core/run-env.js';

describe('secretsFromRunEnv', () => {
  const runnerEnv = { STAGE_SECRETS_STAGE: 'prod', STAGE_SECRETS_KEYS: 'DB_URL,PORT', DB_URL: 'postgres://db', PORT: '5432', OTHER: 'x' };

  it('returns exactly the listed names when the runner ran for the requested stage', () => {
    expect(secretsFromRunEnv('prod', runnerEnv)).toEqual(new Map([['DB_URL', 'postgres://db'], ['PORT', '5432']]));
  });

  it('returns undefined for another stage, or without a runner env', () => {
    expect(secretsFromRunEnv('dev', runnerEnv)).toBeUndefined();
    expect(secretsFromRunEnv('prod', { DB_URL: 'postgres://db' })).toBeUndefined();
    expect(secretsFromRunEnv('prod', { STAGE_SECRETS_KEYS: 'DB_URL', DB_URL: 'x' })).toBeUndefined();
  });

  it('treats an empty key list as a stage without secrets', () => {
    expect(secretsFromRunEnv('prod', { STAGE_SECRETS_STAGE: 'prod', STAGE_SECRETS_KEYS: '' })).toEqual(new Map());
  });

  it('refuses a listed name that is missing from the env, naming it but no value', () => {
    const env = { STAGE_SECRETS_STAGE: 'prod', STAGE_SECRETS_KEYS: 'DB_URL,API_KEY', DB_URL: 'postgres://db' };
    const err = (() => {
      try {
        secretsFromRunEnv('prod', env);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('NOT_FOUND');
    expect((err as Error).message).toContain('API_KEY');
    expect((err as Error).message).not.toContain('postgres://db');
  });

  it('refuses a listed name a secret may not have (a hand-set list must not leak PATH into Lambda)', () => {
    const env = { STAGE_SECRETS_STAGE: 'prod', STAGE_SECRETS_KEYS: 'PATH', PATH: '/usr/bin' };
    expect(() => secretsFromRunEnv('prod', env)).toThrow(/PATH/);
  });
});
