/**
 * custom.stageSecrets as the plugin reads it: the framework's schema only warns by default, so the plugin
 * refuses what it cannot use itself (a typo in the opt-out must never leave every secret set).
 */
import { describe, expect, it } from 'vitest';
import { functionSecretList, readSettings } from '../../../src/serverless/config.js';

const settings = (stageSecrets: unknown) => readSettings({ stageSecrets });

describe('readSettings', () => {
  it('reads every key', () => {
    expect(
      settings({
        dir: '../secrets',
        setEnvs: false,
        app: 'shop',
        secrets: ['API_KEY'],
        fallbacks: { 'pr-*': 'dev' },
        mode: 'runtime',
        store: 's3://bucket/prefix',
      }),
    ).toEqual({
      dir: '../secrets',
      setEnvs: false,
      app: 'shop',
      secrets: ['API_KEY'],
      fallbacks: { 'pr-*': 'dev' },
      mode: 'runtime',
      store: 's3://bucket/prefix',
    });
    expect(readSettings(undefined)).toEqual({});
    expect(readSettings({})).toEqual({});
  });

  it('reads referenceKeys, KMS key ARNs only: an alias, a bare id or a wildcard would widen the grant', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(settings({ mode: 'runtime', referenceKeys: [key] })).toEqual({ mode: 'runtime', referenceKeys: [key] });
    for (const bad of [key, ['alias/x'], ['1234abcd'], ['arn:aws:kms:us-east-1:123456789012:key/*'], [5]]) {
      expect(() => settings({ referenceKeys: bad }), JSON.stringify(bad)).toThrow(
        /referenceKeys must be a list of KMS key ARNs/,
      );
    }
  });

  it('refuses an unknown key with a did-you-mean and the list of keys', () => {
    expect(() => settings({ setEnv: false })).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message:
          'custom.stageSecrets has unknown key setEnv (did you mean setEnvs?); the keys are dir, setEnvs, app, secrets, required, optional, fallbacks, mode, store, referenceKeys.',
      }),
    );
    expect(() => settings({ colour: 'blue', fallback: {} })).toThrow(
      'unknown keys colour, fallback (did you mean fallbacks?)',
    );
  });

  it('refuses shapes it cannot use', () => {
    expect(() => settings('dev')).toThrow('custom.stageSecrets in serverless.yml must be an object');
    expect(() => settings({ setEnvs: 'no' })).toThrow('custom.stageSecrets.setEnvs must be true or false (unquoted).');
    expect(() => settings({ secrets: ['API_KEY', 'not a name'] })).toThrow(
      'custom.stageSecrets.secrets must be a list of secret names',
    );
    expect(() => settings({ fallbacks: { prod: 'dev' } })).toThrow(
      '"prod" is not a stage pattern; a pattern needs a *',
    );
    expect(() => settings({ fallbacks: { 'pr-*': '../dev' } })).toThrow('the stage for pr-* must be a stage name');
    expect(() => settings({ dir: '' })).toThrow('custom.stageSecrets.dir must be a folder path');
  });

  it("checks a function's list", () => {
    expect(functionSecretList('api', undefined)).toBeUndefined();
    expect(functionSecretList('api', ['A'])).toEqual(['A']);
    expect(() => functionSecretList('api', 'A')).toThrow('function api: secrets must be a list of secret names');
  });
});
