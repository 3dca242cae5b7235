import type { LocalIdentityRecord } from '../../src/identities/local.js';

/** A well-formed local identity record for files that are parsed but never opened. */
export function sampleLocalIdentity(): LocalIdentityRecord {
  return {
    type: 'local',
    id: 'local:0011223344556677',
    created: '2026-11-23T10:00:00.000Z',
    fingerprint: '0011223344556677',
    nonce: Buffer.alloc(12, 1).toString('base64'),
    wrapped: Buffer.alloc(32, 2).toString('base64'),
    tag: Buffer.alloc(16, 3).toString('base64'),
  };
}
