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
