import { describe, expect, it } from 'vitest';
import { checkRuntimeBundle, RUNTIME_BUNDLE_FORMAT } from '../../../src/core/runtime-bundle.js';

const entry = {
  type: 'string',
  updated: '2026-01-01T00:00:00.000Z',
  epk: 'ZXBr',
  nonce: 'bm9uY2U=',
  ct: '',
  tag: 'dGFn',
  approved: 'YXBwcm92ZWQ=',
};

const bundle = (secrets: Record<string, unknown>) => ({
  format: RUNTIME_BUNDLE_FORMAT,
  version: 3,
  app: 'shop',
  stage: 'prod',
  deployStage: 'prod',
  function: 'api',
  publicKey: 'cHVi',
  identities: [{ type: 'aws-kms', id: 'aws-kms:alias/x', keyId: 'alias/x', ciphertext: 'Y3Q=' }],
  secrets,
});

describe('checkRuntimeBundle', () => {
  it('takes entries as a stage file seals them, with or without their time', () => {
    const { updated: _none, ...older } = entry;
    expect(checkRuntimeBundle(bundle({ API_KEY: entry, OLD: older }), ['aws-kms']).secrets.API_KEY).toBe(entry);
  });

  it('takes flags beside texts (a flat entry), as later entry kinds may carry', () => {
    const flagged = { ...entry, flag: true };
    expect(checkRuntimeBundle(bundle({ API_KEY: flagged }), ['aws-kms']).secrets.API_KEY).toBe(flagged);
  });

  it('refuses an entry with a field that is an object: damaged, package and deploy again', () => {
    for (const odd of [{ sealedTo: {} }, { extra: ['x'] }, { expires: { at: 1 } }, { approved: { tag: 'x' } }]) {
      expect(
        () => checkRuntimeBundle(bundle({ API_KEY: { ...entry, ...odd } }), ['aws-kms']),
        JSON.stringify(odd),
      ).toThrow(/the packaged secrets file is damaged \(entry API_KEY\); package and deploy the function again/);
    }
    expect(() => checkRuntimeBundle(bundle({ API_KEY: 'text' }), ['aws-kms'])).toThrow(/damaged \(entry API_KEY\)/);
  });
});
