import { describe, expect, it } from 'vitest';
import { DEPLOY_DIGEST_ENV, deployDigest, isDeployRecord, OPTED_OUT_RECORD } from '../../../src/core/deploy-digest.js';
import type { SecretEntry } from '../../../src/core/format.js';

const b64 = (byte: number, length: number) => Buffer.alloc(length, byte).toString('base64');
const entry = (byte: number, type: SecretEntry['type'] = 'string'): SecretEntry => ({
  type,
  updated: '2026-12-01T00:00:00.000Z',
  epk: b64(byte, 32),
  nonce: b64(byte, 12),
  ct: b64(byte, 20),
  tag: b64(byte, 16),
});
const file = { app: 'shop', stage: 'dev', secrets: { A: entry(1), B: entry(2), C: entry(3) } };

describe('deployDigest', () => {
  it('is a v1 record that depends on the names received, not their order or repeats', () => {
    const ab = deployDigest(file, ['A', 'B']);
    expect(ab).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(isDeployRecord(ab)).toBe(true);
    expect(deployDigest(file, ['B', 'A', 'A'])).toBe(ab);
    expect(deployDigest(file, ['A'])).not.toBe(ab);
    expect(deployDigest(file, ['A', 'B', 'C'])).not.toBe(ab);
    expect(deployDigest(file, [])).not.toBe(deployDigest({ ...file, stage: 'prod' }, []));
  });

  it('changes with a new seal of a received name (set, rotate), its type, the app or the stage; not with its date or approval', () => {
    const ab = deployDigest(file, ['A', 'B']);
    const with_ = (secrets: Record<string, SecretEntry>) => deployDigest({ ...file, secrets }, ['A', 'B']);
    expect(with_({ ...file.secrets, B: entry(9) })).not.toBe(ab);
    expect(with_({ ...file.secrets, B: { ...entry(2), ct: b64(2, 21) } })).not.toBe(ab);
    expect(with_({ ...file.secrets, B: entry(2, 'number') })).not.toBe(ab);
    expect(with_({ ...file.secrets, C: entry(9) })).toBe(ab);
    expect(
      with_({ ...file.secrets, B: { ...entry(2), updated: '2027-01-01T00:00:00.000Z', approved: b64(7, 32) } }),
    ).toBe(ab);
    expect(deployDigest({ ...file, app: 'other' }, ['A', 'B'])).not.toBe(ab);
    // a name the stage no longer has counts as missing, not as absent from the list
    const { B: _gone, ...withoutB } = file.secrets;
    expect(with_(withoutB)).not.toBe(deployDigest(file, ['A']));
  });

  it('holds no sealed byte, only a hash', () => {
    const d = deployDigest(file, ['A', 'B', 'C']);
    for (const e of Object.values(file.secrets)) for (const part of [e.ct, e.epk]) expect(d).not.toContain(part);
  });

  it('recognises its own records only', () => {
    expect(DEPLOY_DIGEST_ENV).toBe('STAGE_SECRETS_DIGEST');
    expect(isDeployRecord(OPTED_OUT_RECORD)).toBe(true);
    for (const bad of ['', 'v1.', 'v1.short', `v2.${'a'.repeat(43)}`, `v1.${'a'.repeat(42)}+`, 'on']) {
      expect(isDeployRecord(bad)).toBe(false);
    }
  });
});
