import { describe, expect, it } from 'vitest';
import { cellOf } from '../../../src/contract/check.js';
import type { SecretInfo } from '../../../src/stages/list.js';

const info = (overrides: Partial<SecretInfo>): SecretInfo => ({
  name: 'A',
  type: 'string',
  updated: '2026-01-01T00:00:00.000Z',
  approved: true,
  approval: 'unverified',
  ...overrides,
});

describe('cellOf: a name in one stage of the matrix', () => {
  it('missing, pending, present, and sealed to a previous key (which the build refuses, approved or not)', () => {
    expect(cellOf(undefined)).toBe('missing');
    expect(cellOf(info({ approved: false, approval: 'pending' }))).toBe('pending');
    expect(cellOf(info({}))).toBe('present');
    expect(cellOf(info({ sealedToOtherKey: true }))).toBe('sealed-to-old-key');
    expect(cellOf(info({ sealedToOtherKey: true, approved: false, approval: 'pending' }))).toBe('sealed-to-old-key');
  });
});

describe('cellOf with an expiry', () => {
  const now = Date.parse('2030-06-15T12:00:00Z');
  it('expired at or after the start of the day (UTC) or the time it names; expiring within the warning days', () => {
    expect(cellOf(info({ expires: '2030-06-15' }), now)).toBe('expired');
    expect(cellOf(info({ expires: '2030-06-15T12:00:00Z' }), now)).toBe('expired');
    expect(cellOf(info({ expires: '2030-06-16' }), now)).toBe('expiring');
    expect(cellOf(info({ expires: '2030-06-29T12:00:00Z' }), now)).toBe('expiring');
    expect(cellOf(info({ expires: '2030-06-30' }), now)).toBe('present');
    expect(cellOf(info({ expires: '2030-06-30' }), now, 20)).toBe('expiring');
    expect(cellOf(info({ expires: '2030-06-16' }), now, 0)).toBe('present');
  });
});
