import { describe, expect, it } from 'vitest';
import { checkRuntimeBundle } from '../../../src/core/runtime-bundle.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import { handlerFrom } from '../../../src/runtime/handler.js';

describe('handlerFrom: the original handler in a loaded module', () => {
  const main = () => 'ok';

  it('finds a named export, a nested one, and one a CommonJS module exposes only under default', () => {
    expect(handlerFrom({ main }, 'main', 'handler.main')).toBe(main);
    expect(handlerFrom({ api: { v1: { main } } }, 'api.v1.main', 'handler.api.v1.main')).toBe(main);
    expect(handlerFrom({ default: { main } }, 'main', 'handler.main')).toBe(main);
  });

  it('refuses what is not a function, naming the handler', () => {
    for (const mod of [{}, { main: 'text' }, { default: null }, null]) {
      expect(() => handlerFrom(mod, 'main', 'src/api.main')).toThrow(
        /the handler src\/api\.main is not a function exported by its module/,
      );
    }
  });
});

describe('checkRuntimeBundle: a damaged packaged file is a clear error', () => {
  const good = {
    format: 'stage-secrets-runtime/1',
    version: 2,
    app: 'shop',
    stage: 'prod',
    deployStage: 'prod',
    function: 'api',
    publicKey: 'AAAA',
    identities: [
      { type: 'aws-kms', id: 'aws-kms:alias/x', created: '2026-01-01T00:00:00Z', keyId: 'alias/x', ciphertext: 'AAAA' },
    ],
    secrets: { API_KEY: { type: 'string', epk: 'AAAA', nonce: 'AAAA', ct: 'AAAA', tag: 'AAAA' } },
  };

  it('accepts a well-formed bundle', () => {
    expect(checkRuntimeBundle(structuredClone(good), ['aws-kms']).function).toBe('api');
  });

  it.each([
    ['not an object', 'x'],
    ['another format', { ...good, format: 'other/1' }],
    ['a local identity', { ...good, identities: [{ type: 'local', id: 'local:1' }] }],
    ['a bad name', { ...good, secrets: { 'bad name': good.secrets.API_KEY } }],
    ['an entry without its tag', { ...good, secrets: { API_KEY: { ...good.secrets.API_KEY, tag: undefined } } }],
  ])('refuses %s as FORMAT, telling to package again', (_what, raw) => {
    let err: unknown;
    try {
      checkRuntimeBundle(raw, ['aws-kms']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('FORMAT');
    expect((err as Error).message).toContain('package and deploy the function again');
  });
});
