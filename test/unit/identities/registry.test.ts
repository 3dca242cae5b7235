import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { identityFlags, identitySpecs, isKeyVariable, kindOf, matchesRemove } from '../../../src/identities/index.js';
import { IDENTITY_KINDS } from '../../../src/identities/registry.js';
import { sampleLocalIdentity } from '../../support/records.js';

describe('identity kind registry', () => {
  it('lists each kind once, by a type that is a kind name', () => {
    const types = IDENTITY_KINDS.map((kind) => kind.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(type).toMatch(/^[a-z][a-z0-9-]{0,31}$/);
    expect(types.slice(0, 2)).toEqual(['local', 'aws-kms']);
  });

  it('gives every flag to one kind only, with help', () => {
    const names = identityFlags().map((flag) => flag.name);
    expect(new Set(names).size).toBe(names.length);
    for (const flag of identityFlags()) expect(flag.help.length).toBeGreaterThan(10);
  });

  it('turns flag values into specs in registry order, and refuses a partner flag alone', () => {
    expect(identitySpecs({ local: true, kms: 'alias/ci', region: 'eu-west-1' }, 'init')).toEqual([
      { type: 'local' },
      { type: 'aws-kms', keyId: 'alias/ci', region: 'eu-west-1' },
    ]);
    expect(identitySpecs({}, 'init')).toEqual([]);
    expect(() => identitySpecs({ region: 'eu-west-1' }, 'rewrap')).toThrow(/--region goes with --kms.*rewrap --help/);
  });

  it('refuses a record type no kind has, naming the known kinds', () => {
    let err: unknown;
    try {
      kindOf({ type: 'gpg' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('FORMAT');
    expect((err as Error).message).toMatch(/identity type gpg .*local, aws-kms/);
  });

  it('matches rewrap --remove by the exact id for kinds that say nothing else', () => {
    const record = sampleLocalIdentity();
    expect(matchesRemove(record, record.id)).toBe(true);
    expect(matchesRemove(record, record.id.toUpperCase())).toBe(false);
    expect(matchesRemove(record, 'local:')).toBe(false);
  });

  it('knows the key variables run keeps from its child', () => {
    expect(isKeyVariable('STAGE_SECRETS_KEY_DEV')).toBe(true);
    expect(isKeyVariable('stage_secrets_key_prod')).toBe(true);
    expect(isKeyVariable('STAGE_SECRETS_STAGE')).toBe(false);
    expect(isKeyVariable('PATH')).toBe(false);
  });
});
