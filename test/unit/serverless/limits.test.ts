import { describe, expect, it } from 'vitest';
import {
  checkLambdaLimits,
  effectiveEnvironment,
  environmentSize,
  LAMBDA_ENV_LIMIT_BYTES,
} from '../../../src/serverless/limits.js';

/** An environment of exactly `bytes` bytes (names plus values). */
function envOf(bytes: number): Record<string, string> {
  return { BIG: 'v'.repeat(bytes - 'BIG'.length) };
}

describe('environmentSize', () => {
  it('counts UTF-8 bytes of names and values, numbers as text, intrinsics by name only', () => {
    const size = environmentSize({ A: 'é', PORT: 8080, T: { Ref: 'Topic' } });
    expect(size.bytes).toBe(1 + 2 + 4 + 4 + 1);
    expect(size.unresolved).toBe(1);
    expect(size.variables.map((v) => v.name)).toEqual(['PORT', 'A', 'T']);
  });
});

describe('effectiveEnvironment', () => {
  it('lays the function over the provider and drops null values', () => {
    expect(effectiveEnvironment({ A: 'p', B: 'p', C: 'p' }, { B: 'f', C: null })).toEqual({ A: 'p', B: 'f' });
  });
});

describe('checkLambdaLimits', () => {
  it('accepts exactly 4096 bytes and refuses one more', () => {
    expect(() =>
      checkLambdaLimits({ functions: { api: envOf(LAMBDA_ENV_LIMIT_BYTES) }, secretNames: [] }),
    ).not.toThrow();
    expect(() => checkLambdaLimits({ functions: { api: envOf(LAMBDA_ENV_LIMIT_BYTES + 1) }, secretNames: [] })).toThrow(
      /function api: environment is 4097 bytes, over Lambda's limit of 4096 bytes/,
    );
  });

  it('names every function over the limit and its three largest variables, never a value', () => {
    const value = 'do-not-print-'.repeat(320);
    const env = { HUGE: value, MID: 'm'.repeat(50), SMALL: 's', TINY: '' };
    let message = '';
    try {
      checkLambdaLimits({ functions: { api: env, ok: { SMALL: 's' }, worker: env }, secretNames: ['HUGE'] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`function api: environment is ${4 + value.length + 53 + 6 + 4} bytes`);
    expect(message).toContain(`largest variables: HUGE (${4 + value.length} bytes), MID (53 bytes), SMALL (6 bytes).`);
    expect(message).toContain('function worker:');
    expect(message).not.toContain('function ok');
    expect(message).not.toContain('do-not-print');
  });

  it('says when deploy-time values were not counted', () => {
    expect(() =>
      checkLambdaLimits({ functions: { api: { ...envOf(4097), T: { Ref: 'X' } } }, secretNames: [] }),
    ).toThrow(/not counting the value CloudFormation fills in at deploy/);
  });

  it('refuses names Lambda reserves, from serverless.yml as well as from secrets', () => {
    expect(() => checkLambdaLimits({ functions: { api: { _HANDLER: 'x' } }, secretNames: [] })).toThrow(
      /function api: _HANDLER is reserved by AWS Lambda/,
    );
    expect(() => checkLambdaLimits({ functions: {}, secretNames: ['AWS_SECRET_ACCESS_KEY'] })).toThrow(
      /AWS_SECRET_ACCESS_KEY is reserved by AWS Lambda/,
    );
  });

  it('lets serverless.yml use AWS_ names Lambda allows, but not secrets', () => {
    const env = { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' };
    expect(() => checkLambdaLimits({ functions: { api: env }, secretNames: [] })).not.toThrow();
    expect(() => checkLambdaLimits({ functions: { api: env }, secretNames: Object.keys(env) })).toThrow(
      /names starting with AWS_ are reserved/,
    );
  });
});
