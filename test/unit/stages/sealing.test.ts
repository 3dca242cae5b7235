import { describe, expect, it } from 'vitest';
import { valueAad } from '../../../src/stages/sealing.js';

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

describe('valueAad of a reference', () => {
  it('binds the ref flag: a value and a reference of the same name and type never share associated data', () => {
    const value = valueAad(file, 'A', 'string');
    const ref = valueAad(file, 'A', 'string', { ref: true });
    expect(ref.equals(value)).toBe(false);
    expect(ref.toString()).toBe('["stage-secrets/v1","value","shop","dev","A","string","ref"]');
    const withMeta = valueAad(file, 'A', 'string', { owner: 'team', ref: true });
    expect(withMeta.equals(valueAad(file, 'A', 'string', { owner: 'team' }))).toBe(false);
  });
});
