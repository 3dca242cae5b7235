import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { MAX_VALUE_LENGTH, normalizeValue, toTyped } from '../../../src/core/values.js';

describe('typed values', () => {
  it('keeps strings as given', () => {
    expect(normalizeValue('K', 'string', ' a b \n')).toBe(' a b \n');
  });

  it('checks numbers', () => {
    expect(normalizeValue('K', 'number', '42')).toBe('42');
    expect(normalizeValue('K', 'number', '-1.5e3')).toBe('-1.5e3');
    for (const bad of ['abc', '1,5', 'NaN', 'Infinity', '0x10', '1e999', '']) {
      expect(() => normalizeValue('K', 'number', bad)).toThrow(StageSecretsError);
    }
  });

  it('validates JSON and stores it compact', () => {
    expect(normalizeValue('K', 'json', '{ "a": [1, 2] }')).toBe('{"a":[1,2]}');
    expect(() => normalizeValue('K', 'json', '{a:1}')).toThrow(/not valid JSON/);
  });

  it('enforces the length limit without quoting the value', () => {
    expect(normalizeValue('K', 'string', 'v'.repeat(MAX_VALUE_LENGTH))).toHaveLength(MAX_VALUE_LENGTH);
    try {
      normalizeValue('K', 'string', 'SECRETSECRET'.repeat(1000));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/12000 characters; the limit is 10000/);
      expect((err as Error).message).not.toContain('SECRETSECRET');
    }
  });

  it('turns canonical text back into typed values', () => {
    expect(toTyped({ type: 'number', text: '8080' })).toBe(8080);
    expect(toTyped({ type: 'json', text: '{"a":[1]}' })).toEqual({ a: [1] });
    expect(toTyped({ type: 'string', text: '8080' })).toBe('8080');
  });
});
