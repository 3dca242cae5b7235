import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../../src/core/json-duplicates.js';

describe('duplicate key scanner', () => {
  it('finds duplicates at any depth and ignores arrays and string contents', () => {
    expect(findDuplicateKey('{"a":1,"b":{"c":1,"c":2}}')).toBe('c');
    expect(findDuplicateKey('{"a":1,"a":2}')).toBe('a');
    expect(findDuplicateKey('{"a":["a","a"],"b":"{\\"a\\":1,\\"a\\":2}"}')).toBeUndefined();
    expect(findDuplicateKey('[{"a":1},{"a":1}]')).toBeUndefined();
    expect(findDuplicateKey('{"\\u0061":1,"a":2}')).toBe('a');
  });
});
