import { describe, expect, it } from 'vitest';
import { z } from 'zod/v3';
import { identityFields } from '../../../src/core/format.js';
import { identityRecordSchema } from '../../../src/identities/records.js';
import { IDENTITY_KINDS } from '../../../src/identities/registry.js';
import { sampleLocalIdentity } from '../../support/records.js';

describe('typed identity records', () => {
  const schema = identityRecordSchema();
  const kms = {
    type: 'aws-kms',
    id: 'aws-kms:alias/ci',
    created: '2026-11-23T10:00:00.000Z',
    keyId: 'alias/ci',
    ciphertext: 'AAAA',
  };

  it('accepts a well-formed record of each kind and refuses an unknown kind', () => {
    expect(schema.safeParse(sampleLocalIdentity()).success).toBe(true);
    expect(schema.safeParse(kms).success).toBe(true);
    expect(schema.safeParse({ ...kms, type: 'gpg' }).success).toBe(false);
  });

  it('checks each kind by its own schema: fields, their form, and no extra field', () => {
    expect(schema.safeParse({ ...sampleLocalIdentity(), fingerprint: '../../bait' }).success).toBe(false);
    expect(schema.safeParse({ ...kms, ciphertext: undefined }).success).toBe(false);
    expect(schema.safeParse({ ...kms, note: 'x' }).success).toBe(false);
  });

  it('has every kind build its schema from the shared fields', () => {
    for (const kind of IDENTITY_KINDS) {
      const own = kind.recordSchema(z, identityFields);
      expect(own.safeParse({}).success, kind.type).toBe(false);
    }
  });
});
