import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/v3';
import { Sealer, associatedData, generateStageKeyPair } from '../../../src/core/crypto.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import {
  parseStageFile as parseWith,
  quickSecretEntry,
  secretEntrySchema,
  serializeStageFile,
  type StageFile,
} from '../../../src/core/format.js';
import { sampleLocalIdentity } from '../../support/records.js';
import { IDENTITY_RECORDS } from '../../../src/identities/records.js';

/** core's parser with every identity kind's record schema, as stages/stage-text.ts calls it */
const parseStageFile = (text: string, where: string) => parseWith(text, where, { identities: IDENTITY_RECORDS });

function sampleFile(names: string[]): StageFile {
  const pair = generateStageKeyPair();
  const sealer = new Sealer(pair.publicKey);
  const secrets: StageFile['secrets'] = {};
  for (const name of names) {
    secrets[name] = {
      type: 'string',
      updated: '2026-11-23T10:00:00.000Z',
      ...sealer.seal(associatedData(['value', 'app', 'dev', name, 'string']), `v-${name}`),
    };
  }
  return {
    version: 2,
    app: 'app',
    stage: 'dev',
    publicKey: pair.publicKey.toString('base64'),
    identities: [sampleLocalIdentity()],
    secrets,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof StageSecretsError ? err.code : 'other';
  }
  return undefined;
}

describe('stage file format', () => {
  it('serialises canonically: parse then serialise gives the same bytes', () => {
    const text = serializeStageFile(sampleFile(['B', 'A', 'C']));
    expect(serializeStageFile(parseStageFile(text, 'f'))).toBe(text);
  });

  it('sorts secrets and writes one secret per line', () => {
    const lines = serializeStageFile(sampleFile(['ZED', 'ALPHA', 'MID'])).split('\n');
    const secretLines = lines.filter((l) => /^ {4}"[A-Z]+": \{/.test(l));
    expect(secretLines.map((l) => l.trim().split('"')[1])).toEqual(['ALPHA', 'MID', 'ZED']);
  });

  it('adding a secret changes no line of the other secrets', () => {
    const file = sampleFile(['A', 'C']);
    const before = serializeStageFile(file).split('\n');
    const withB = sampleFile(['B']);
    file.secrets.B = withB.secrets.B!;
    const after = serializeStageFile(file).split('\n');
    const lineOf = (lines: string[], name: string) => lines.find((l) => l.includes(`"${name}": {`))!.replace(/,$/, '');
    expect(lineOf(after, 'A')).toBe(lineOf(before, 'A'));
    expect(lineOf(after, 'C')).toBe(lineOf(before, 'C'));
    expect(after.length).toBe(before.length + 1);
  });

  it('names the file and the problem for malformed content', () => {
    const good = serializeStageFile(sampleFile(['A']));
    expect(() => parseStageFile(good.slice(0, good.length / 2), 'secrets/dev.json')).toThrow(
      /secrets\/dev\.json is not valid JSON/,
    );
    expect(() => parseStageFile('[]', 'secrets/dev.json')).toThrow(/secrets\/dev\.json is not a valid stage file/);
    const badNonce = good.replace(/("A": \{[^}]*"nonce":")[^"]+"/, '$1AAAA"');
    expect(() => parseStageFile(badNonce, 'x.json')).toThrow(/secrets\.A\.nonce: nonce is not 12 bytes/);
    const badName = good.replace('"A": {', '"1A": {');
    expect(() => parseStageFile(badName, 'x.json')).toThrow(/invalid secret name/);
    const extra = good.replace('"version": 2,', '"version": 2,\n  "extra": true,');
    expect(codeOf(() => parseStageFile(extra, 'x.json'))).toBe('FORMAT');
  });

  it('says to upgrade for a future format version', () => {
    const future = serializeStageFile(sampleFile([])).replace('"version": 2', '"version": 4');
    expect(codeOf(() => parseStageFile(future, 'x.json'))).toBe('UNSUPPORTED_VERSION');
    expect(() => parseStageFile(future, 'x.json')).toThrow(/format version 4.*Upgrade stage-secrets/);
  });

  it('refuses duplicate keys that JSON.parse would silently merge', () => {
    const text = serializeStageFile(sampleFile(['A', 'B']));
    const aLine = text.split('\n').find((l) => l.includes('"A": {'))!;
    const dup = text.replace(aLine, `${aLine}\n${aLine.replace(/,?$/, ',')}`);
    expect(() => parseStageFile(dup, 'x.json')).toThrow(/has the key "A" twice/);
  });
});

describe('parse errors never quote the file', () => {
  // Text of the file that must not appear in any message: a hand-edit may have pasted a value or key there.
  const MARK = 'Zq9xW';
  const good = serializeStageFile(sampleFile(['A']));

  const messageOf = (text: string): string => {
    try {
      parseStageFile(text, 'x.json');
    } catch (err) {
      expect(err).toBeInstanceOf(StageSecretsError);
      expect((err as StageSecretsError).code).toBe('FORMAT');
      return (err as StageSecretsError).message;
    }
    throw new Error('parsed without an error');
  };

  it('gives the line and column of a JSON syntax error, not the text around it', () => {
    const cases: Array<[string, RegExp]> = [
      [`{\n  "version": 1,\n  "app": ${MARK}-pasted-value\n}`, /line 3, column 10/], // V8: Unexpected token 'Z', "{ ..."... is not valid JSON
      [`${MARK}-a-long-pasted-line-of-text-more-than-twenty-characters`, /line 1, column 1\b/],
      [`{"app": "${MARK}-unterminated`, /unterminated string.*line 1, column 9/],
      [`{}\n\n  ${MARK}`, /line 3, column 3/],
      [`{"a": [1, 2 ${MARK}]}`, /line 1, column 13/],
      [`{"a": "tab\there ${MARK}"}`, /control character.*line 1, column 11/],
      [`{"a": "\\q${MARK}"}`, /escape.*line 1, column 8/],
      [good.replace('"version": 2,', `"version": 2,\n  ${MARK}: 2,`), /line 3, column 3/],
      ['', /empty/],
      [good.slice(0, good.indexOf('"identities"')), /ends too early/],
      [`\ufeff${good}`, /byte-order mark/],
    ];
    for (const [text, where] of cases) {
      const message = messageOf(text);
      expect(message, message).toMatch(/^x\.json is not valid JSON \(/);
      expect(message, message).toMatch(where);
      expect(message, message).not.toContain(MARK);
      expect(message, message).not.toMatch(/Unexpected token|is not valid JSON \(.*"/);
    }
  });

  it('names schema problems by path and line, without keys or values that are not valid names', () => {
    const file = JSON.parse(good);
    const badType = { ...file, secrets: { A: { ...file.secrets.A, type: `${MARK}-type` } } };
    const badName = good.replace('"A": {', `"${MARK}-name": {`);
    const extraField = { ...file, identities: [{ ...file.identities[0], [`${MARK}-extra`]: 'x' }] };
    const extraNamed = { ...file, identities: [{ ...file.identities[0], note: `${MARK}` }] };
    const dupKey = good.replace('"version": 2,', `"version": 2,\n  "${MARK}-dup": 1,\n  "${MARK}-dup": 2,`);
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify(badType, null, 2), /at secrets\.A\.type: .*string.*number.*json/],
      [badName, /at secrets\.\(a key at line 10\): invalid secret name/],
      [JSON.stringify(extraField, null, 2), /at identities\.0: unknown field \(a key at line \d+\)/],
      [JSON.stringify(extraNamed, null, 2), /at identities\.0: unknown field note/],
      [dupKey, /has a key twice in one object \(line 4, column 3\)/],
    ];
    for (const [text, expected] of cases) {
      const message = messageOf(text);
      expect(message, message).toMatch(expected);
      expect(message, message).not.toContain(MARK);
    }
  });
});

describe('quickSecretEntry: the hand-written fast path of the entry schema', () => {
  const FINGERPRINT = /^[0-9a-f]{16}$/;
  const valid = {
    type: 'string',
    updated: '2026-11-30T10:00:00.000Z',
    sealedTo: '0123456789abcdef',
    epk: 'A'.repeat(43) + '=',
    nonce: 'B'.repeat(16),
    ct: 'Q2lwaGVy',
    tag: 'C'.repeat(22) + '==',
    approved: 'D'.repeat(43) + '=',
  };
  // a v3 entry file may be a reference (`ref: true`, core/entry-file.ts)
  const strictV3 = secretEntrySchema.extend({
    sealedTo: z.string().regex(FINGERPRINT),
    ref: z.literal(true).optional(),
  });
  const field = fc.constantFrom(...Object.keys(valid), 'ref', 'extra', '__proto__', 'Type');
  const value = fc.oneof(
    fc.constantFrom<unknown>(
      undefined,
      null,
      true,
      false,
      1,
      '',
      'json',
      'number',
      'A'.repeat(44),
      'A'.repeat(43) + '=',
      'A'.repeat(16),
      'A'.repeat(24),
      'A'.repeat(60_001),
      '2026-11-30T10:00:00Z',
      '2026-11-30 10:00:00Z',
      '0123456789ABCDEF',
      'abc=',
      'ab==',
      ['x'],
      {},
    ),
    fc.string({ maxLength: 50 }),
  );
  it('accepts exactly what the zod schema accepts, and returns the same entry', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(field, value), { maxLength: 4 }), fc.boolean(), (edits, v3) => {
        const raw: Record<string, unknown> = JSON.parse(JSON.stringify(valid));
        if (!v3) delete raw.sealedTo;
        for (const [key, v] of edits) {
          if (v === undefined) delete raw[key];
          else Object.defineProperty(raw, key, { value: v, enumerable: true, writable: true, configurable: true });
        }
        const quick = quickSecretEntry(raw, v3 ? FINGERPRINT : undefined);
        const slow = (v3 ? strictV3 : secretEntrySchema).safeParse(raw);
        expect(quick !== undefined, JSON.stringify(raw).slice(0, 300)).toBe(slow.success);
        if (quick && slow.success) expect(JSON.stringify(quick)).toBe(JSON.stringify(slow.data));
      }),
      { seed: 24_1202, numRuns: 3000 },
    );
  });
});
