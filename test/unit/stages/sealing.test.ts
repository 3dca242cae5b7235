import { describe, expect, it } from 'vitest';
import { valueAad, valueAadOf } from '../../../src/stages/sealing.js';

const file = { app: 'shop', stage: 'dev' };

describe('valueAad', () => {
  it('is what it was for an entry without expiry or owner, so such entries keep their bytes', () => {
    expect(valueAad(file, 'A', 'string').toString()).toBe('["stage-secrets/v1","value","shop","dev","A","string"]');
    expect(valueAad(file, 'A', 'string', {}).equals(valueAad(file, 'A', 'string'))).toBe(true);
  });

  it('binds the expiry and the owner: any change to either gives other associated data', () => {
    const base = valueAad(file, 'A', 'string', { expires: '2030-01-01', owner: 'team' });
    for (const meta of [
      { expires: '2031-01-01', owner: 'team' },
      { expires: '2030-01-01', owner: 'other' },
      { expires: '2030-01-01' },
      { owner: 'team' },
      {},
    ]) {
      expect(valueAad(file, 'A', 'string', meta).equals(base), JSON.stringify(meta)).toBe(false);
    }
  });
});

describe('valueAadOf', () => {
  it('gives the bytes of valueAad for every entry, with and without expiry or owner', () => {
    const odd = { app: 'sh"op\\ü', stage: 'dev' };
    for (const f of [file, odd]) {
      const aad = valueAadOf(f);
      for (const [name, type, meta] of [
        ['A', 'string', undefined],
        ['B_2', 'json', {}],
        ['C', 'string', { expires: '2030-01-01' }],
        ['D', 'string', { owner: 'team "a"' }],
        ['E', 'string', { expires: '2030-01-01', owner: 'ö' }],
      ] as const) {
        expect(aad(name, type, meta).equals(valueAad(f, name, type, meta)), `${f.app} ${name}`).toBe(true);
      }
    }
  });
});
