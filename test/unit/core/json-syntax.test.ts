import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, lineColumn } from '../../../src/core/json-syntax.js';

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('JSON syntax fault locator', () => {
  it('agrees with JSON.parse on what is JSON, for JSON texts and for mutations of them', () => {
    const jsonText = fc.jsonValue().map((v) => JSON.stringify(v, null, 1));
    const mutated = fc
      .tuple(jsonText, fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 }))
      .map(([text, at, cut, insert]) => {
        const i = text.length ? at % text.length : 0;
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    fc.assert(
      fc.property(fc.oneof(jsonText, mutated, fc.string()), (text) => {
        const fault = findJsonSyntaxError(text);
        expect(fault === undefined, `${JSON.stringify(text)}: ${fault?.problem}`).toBe(parses(text));
        if (fault) expect(fault.offset).toBeGreaterThanOrEqual(0);
        if (fault) expect(fault.offset).toBeLessThanOrEqual(text.length);
      }),
      { seed: 13, numRuns: 3000 },
    );
  });

  it('locates faults in deep nesting without recursion', () => {
    const depth = 200_000;
    expect(findJsonSyntaxError('['.repeat(depth))).toEqual({ offset: depth, problem: 'the file ends too early' });
    expect(findJsonSyntaxError(`${'['.repeat(depth)}x`)?.offset).toBe(depth);
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd\n', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd\n', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab\ncd\n', 6)).toEqual({ line: 3, column: 1 });
  });
});
