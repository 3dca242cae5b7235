import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskTexts, MIN_MASK_LENGTH } from '../../../src/core/mask-texts.js';
import { MaskAutomaton, Masker } from '../../../src/runner/masker.js';

/**
 * The definition: every byte inside any occurrence is masked; each run of masked bytes becomes ***.
 * At the end of the stream, a tail that may still begin a value (a proper prefix of one) is masked
 * too when it has at least `endChars` characters or half the bytes of the shortest value it begins.
 */
function reference(patterns: readonly Uint8Array[], text: Uint8Array, endChars = MIN_MASK_LENGTH): Buffer {
  const covered = new Uint8Array(text.length);
  for (const p of patterns) {
    if (p.length === 0) continue;
    for (let i = 0; i + p.length <= text.length; i++) {
      if (Buffer.from(text.subarray(i, i + p.length)).equals(Buffer.from(p))) covered.fill(1, i, i + p.length);
    }
  }
  for (let k = text.length; k > 0; k--) {
    const tail = Buffer.from(text.subarray(text.length - k));
    const begun = patterns.filter((p) => p.length >= k && tail.equals(Buffer.from(p.subarray(0, k))));
    if (!begun.some((p) => p.length > k)) continue;
    const chars = [...tail].filter((b) => (b & 0xc0) !== 0x80).length;
    const shortest = Math.min(...begun.map((p) => p.length));
    if (chars >= endChars || 2 * k >= shortest) covered.fill(1, text.length - k);
    break;
  }
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) out.push(text[i]!);
    else if (i === 0 || !covered[i - 1]) out.push(42, 42, 42);
  }
  return Buffer.from(out);
}

function feed(masker: Masker, text: Uint8Array, cuts: number[]): Buffer {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of [...points, text.length]) {
    parts.push(Buffer.from(masker.push(text.subarray(from, p))));
    from = p;
  }
  parts.push(masker.end());
  return Buffer.concat(parts);
}

const mask = (values: string[], text: string, cuts: number[] = []): string =>
  feed(new Masker(values), Buffer.from(text), cuts).toString();

describe('Masker', () => {
  it('replaces every occurrence of every value', () => {
    expect(mask(['hunter22', 'tok-123'], 'a hunter22 b tok-123 c hunter22')).toBe('a *** b *** c ***');
  });

  it('masks the longest value when values contain each other, and the union when they overlap', () => {
    expect(mask(['pass', 'password1'], 'x password1 y pass z')).toBe('x *** y *** z');
    expect(mask(['abcd', 'cdefgh'], '1 abcdefgh 2 abcdx 3 cdefghi')).toBe('1 *** 2 ***x 3 ***i');
    expect(mask(['sword', 'password'], 'password')).toBe('***');
  });

  it('gives one *** for back-to-back values', () => {
    expect(mask(['abcd'], 'abcdabcd-abcd')).toBe('***-***');
  });

  it('masks a value split at every possible point', () => {
    const text = 'prefix secret-value-42 suffix';
    for (let cut = 0; cut <= text.length; cut++) {
      for (let cut2 = cut; cut2 <= text.length; cut2 += 3) {
        expect(mask(['secret-value-42'], text, [cut, cut2])).toBe('prefix *** suffix');
      }
    }
  });

  it('masks a value fed one byte at a time', () => {
    const text = Buffer.from('tok: ab"c\\d€ef!\n');
    const masker = new Masker(['ab"c\\d€ef']);
    const parts = [...text].map((b) => masker.push(Buffer.from([b])));
    parts.push(masker.end());
    expect(Buffer.concat(parts).toString()).toBe('tok: ***!\n');
  });

  it('holds back only bytes that may start a value, and returns the rest at once', () => {
    const masker = new Masker(['secret']);
    expect(masker.push(Buffer.from('line one\n')).toString()).toBe('line one\n');
    expect(masker.heldLength).toBe(0);
    expect(masker.push(Buffer.from('value: sec')).toString()).toBe('value: ');
    expect(masker.heldLength).toBe(3);
    expect(masker.push(Buffer.from('ond')).toString()).toBe('second');
    expect(masker.heldLength).toBe(0);
  });

  it('flush never writes bytes that may begin a value; later bytes release or mask them', () => {
    const masker = new Masker(['password123']);
    expect(masker.push(Buffer.from('Enter: passw')).toString()).toBe('Enter: ');
    expect(masker.flush().toString()).toBe('');
    expect(masker.heldLength).toBe(5);
    expect(masker.push(Buffer.from('ord123 ok')).toString()).toBe('*** ok');
    // ruled out by the next byte: the text was never the value, so it is written as it is
    expect(masker.push(Buffer.from(' pass')).toString()).toBe(' ');
    expect(masker.flush().toString()).toBe('');
    expect(masker.push(Buffer.from('port\n')).toString()).toBe('passport\n');
    expect(masker.end().length).toBe(0);
  });

  it('a value written one character at a time, flushed after each, is masked whole', () => {
    const masker = new Masker(['sk_live_REALSECRET_123456789']);
    const parts = [masker.push(Buffer.from('key='))];
    for (const ch of 'sk_live_REALSECRET_123456789') parts.push(masker.push(Buffer.from(ch)), masker.flush());
    parts.push(masker.push(Buffer.from('\n')), masker.end());
    expect(Buffer.concat(parts).toString()).toBe('key=***\n');
  });

  it('flush writes a completed value that may still continue into a longer one as ***', () => {
    const masker = new Masker(['abcd', 'abcd1234']);
    expect(masker.push(Buffer.from('x abcd')).toString()).toBe('x ');
    expect(masker.flush().toString()).toBe('***');
    expect(masker.heldLength).toBe(0);
    expect(masker.push(Buffer.from('12')).toString()).toBe('');
    expect(masker.push(Buffer.from('34 y')).toString()).toBe(' y');
    expect(masker.end().length).toBe(0);
  });

  it(`at the end, masks a cut-off prefix of ${MIN_MASK_LENGTH}+ characters or half a value, and writes a shorter one`, () => {
    const secret = 'sk_live_REALSECRET_123456789';
    const ended = (values: string[], text: string): string => {
      const masker = new Masker(values);
      return Buffer.concat([masker.push(Buffer.from(text)), masker.flush(), masker.end()]).toString();
    };
    expect(ended([secret], `key=${secret.slice(0, -1)}`)).toBe('key=***');
    expect(ended([secret], 'key=sk_l')).toBe('key=***');
    expect(ended([secret], 'key=sk_')).toBe('key=sk_');
    expect(ended(['a1b2c3'], 'key=a1b')).toBe('key=***');
    expect(ended(['a1b2c3'], 'key=a1')).toBe('key=a1');
    // characters, not bytes: 3 characters of a long value are written, 4 are masked
    expect(ended(['€€€€€€€€€€'], 'x €€€')).toBe('x €€€');
    expect(ended(['€€€€€€€€€€'], 'x €€€€')).toBe('x ***');
  });

  it('passes binary data through unchanged apart from the values', () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
    const value = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
    const text = Buffer.concat([bytes, value, bytes]);
    const masker = new Masker([value]);
    const out = feed(masker, text, [100, 4097, 4099, 5000]);
    expect(out.equals(reference([value], text))).toBe(true);
    expect(out.length).toBe(bytes.length * 2 + 3);
  });

  it('without values returns its input', () => {
    const masker = new Masker([]);
    const chunk = Buffer.from('anything');
    expect(masker.push(chunk)).toBe(chunk);
    expect(masker.end().length).toBe(0);
  });

  it('masks UTF-8 values byte-exactly', () => {
    expect(mask(['clé-ünï-€'], 'a clé-ünï-€ b', [4, 7, 9])).toBe('a *** b');
  });

  // Property: for any values, text and chunking, output equals the definition: with the full
  // table, with a tiny one (deep states on sparse edges), and with values of 3+ bytes (which turns
  // on the skip-ahead prefilter, with a stride of 1 to 4 depending on the shortest value).
  const alphabet = fc.constantFrom(...'abcab\n'.split(''));
  const word = (min: number, max: number) =>
    fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(''));
  for (const [label, options, minLength] of [
    ['dense table', {}, 1],
    ['sparse deep states', { maxTableEntries: 8 }, 1],
    ['prefilter', {}, 3],
    ['prefilter, sparse deep states', { maxTableEntries: 8 }, 3],
  ] as const) {
    it(`matches the definition for any chunking (${label})`, () => {
      fc.assert(
        fc.property(
          fc.array(word(minLength, minLength + 6), { minLength: 1, maxLength: 6 }),
          word(0, 80),
          fc.array(fc.nat(), { maxLength: 8 }),
          (values, text, cuts) => {
            const expected = reference(
              values.map((v) => Buffer.from(v)),
              Buffer.from(text),
            );
            expect(feed(new Masker(values, options), Buffer.from(text), cuts).equals(expected)).toBe(true);
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  // The printed forms of a value with quotes and backslashes ('\'' '"'"' \\' \303...) overlap themselves and
  // each other: a text of their pieces, cut anywhere, still masks exactly as the definition says.
  it('matches the definition on the overlapping shell, Python and JSON forms of quoted values', () => {
    const piece = fc.constantFrom(...["'", '\\', '"', '$', ' ', 'ä', '\n', 'a', 'b']);
    const value = fc.array(piece, { minLength: 3, maxLength: 8 }).map((a) => `a${a.join('')}`);
    const cutsArb = fc.array(fc.nat(), { maxLength: 8 });
    const picksArb = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { maxLength: 8 });
    fc.assert(
      fc.property(value, picksArb, cutsArb, (v, picks, cuts) => {
        const patterns = maskTexts(new Map([['V', { type: 'string' as const, text: v }]]));
        // pieces of forms (whole or cut short) with the value's own characters between them
        const text = picks
          .map(([f, len, c]) => `${patterns[f % patterns.length]!.slice(0, 1 + (len % 40))}${v[c % v.length]}`)
          .join('');
        const expected = reference(
          patterns.map((p) => Buffer.from(p)),
          Buffer.from(text),
        );
        expect(feed(new Masker(patterns), Buffer.from(text), cuts).equals(expected)).toBe(true);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('two streams sharing one automaton, pushed in turns, each match the definition', () => {
    fc.assert(
      fc.property(
        fc.array(word(1, 7), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.boolean(), word(0, 12)), { maxLength: 16 }),
        fc.constantFrom({}, { maxTableEntries: 8 }),
        (values, pushes, options) => {
          const automaton = new MaskAutomaton(values, options);
          const streams = [new Masker(automaton), new Masker(automaton)];
          const outs: Buffer[][] = [[], []];
          const ins = ['', ''];
          for (const [second, part] of pushes) {
            const k = second ? 1 : 0;
            ins[k] += part;
            outs[k]!.push(Buffer.from(streams[k]!.push(Buffer.from(part))));
          }
          for (const k of [0, 1]) {
            outs[k]!.push(streams[k]!.end());
            expect(
              Buffer.concat(outs[k]!).equals(
                reference(
                  values.map((v) => Buffer.from(v)),
                  Buffer.from(ins[k]!),
                ),
              ),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('flushing at any points changes nothing: the output is the definition', () => {
    fc.assert(
      fc.property(
        fc.array(word(1, 7), { minLength: 1, maxLength: 4 }),
        word(0, 40),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom({}, { maxTableEntries: 8 }),
        (values, text, cuts, options) => {
          const masker = new Masker(values, options);
          const input = Buffer.from(text);
          const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
          const parts: Buffer[] = [];
          let from = 0;
          for (const p of [...points, input.length]) {
            parts.push(Buffer.from(masker.push(input.subarray(from, p))), masker.flush());
            from = p;
          }
          parts.push(masker.end());
          expect(Buffer.concat(parts).toString()).toBe(
            reference(
              values.map((v) => Buffer.from(v)),
              input,
            ).toString(),
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});
