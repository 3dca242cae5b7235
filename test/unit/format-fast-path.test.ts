import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sealer, associatedData, generateStageKeyPair } from '../../src/core/crypto.js';
import { StageSecretsError } from '../../src/core/errors.js';
import { FORMAT_VERSION, isWellFormedEntry, parseStageFile, secretEntrySchema, serializeStageFile, stageFileSchema, type StageFile } from '../../src/core/format.js';
import { findDuplicateKey } from '../../src/core/json-duplicates.js';
import { applyAll, mutationArbitrary } from '../security/mutations.js';

// parseStageFile skips zod for secret entries that isWellFormedEntry accepts, and skips the duplicate-key
// scan for files that are their own canonical text. These tests hold both shortcuts to the slow path.

function sealedFile(app: string, stage: string, names: string[]): StageFile {
  const pair = generateStageKeyPair();
  const secrets: StageFile['secrets'] = {};
  for (const [i, name] of names.entries()) {
    const type = (['string', 'number', 'json'] as const)[i % 3];
    secrets[name] = { type, updated: '2026-11-24T10:00:00.000Z', ...new Sealer(pair.publicKey).seal(associatedData(['value', app, stage, name, type]), `value-${i}`) };
  }
  return {
    version: FORMAT_VERSION,
    app,
    stage,
    publicKey: pair.publicKey.toString('base64'),
    identities: [{ type: 'local', id: 'local:0123456789abcdef', created: '2026-11-24T10:00:00.000Z', fingerprint: '0123456789abcdef' }],
    secrets,
  };
}

const base64ish = fc.string({ unit: fc.constantFrom(...'AZaz09+/=-_ .\n\u00e9'.split('')), maxLength: 48 });
const fieldValue = fc.oneof(base64ish, fc.string({ maxLength: 30 }), fc.constantFrom<unknown>(null, 1, true, [], {}, 'string', 'json', 'number', 'STRING', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00.1234Z'));
const entryArbitrary = fc.dictionary(fc.constantFrom('type', 'updated', 'epk', 'nonce', 'ct', 'tag', 'extra', '__proto__'), fieldValue, { maxKeys: 8 });

/** The path parseStageFile took before its shortcuts: duplicate scan, version check, zod. */
function referenceParse(text: string): { ok: true; file: StageFile } | { ok: false } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  if (findDuplicateKey(text)) return { ok: false };
  const version = raw && typeof raw === 'object' ? (raw as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version > FORMAT_VERSION) return { ok: false };
  const result = stageFileSchema.safeParse(raw);
  return result.success ? { ok: true, file: result.data } : { ok: false };
}

describe('fast entry check', () => {
  it('accepts every entry the sealer writes (so the fast path is the one taken)', () => {
    const file = sealedFile('app', 'dev', ['A', 'B', 'C', 'D', 'E', 'F']);
    for (const entry of Object.values(file.secrets)) expect(isWellFormedEntry(entry)).toBe(true);
  });

  it('never accepts an entry the schema refuses', () => {
    const real = Object.values(sealedFile('app', 'dev', ['A']).secrets)[0]!;
    const mixed = fc.oneof(
      entryArbitrary,
      fc.record({ field: fc.constantFrom('type', 'updated', 'epk', 'nonce', 'ct', 'tag'), value: fieldValue }).map(({ field, value }) => ({ ...real, [field]: value })),
    );
    let accepted = 0;
    fc.assert(
      fc.property(mixed, (entry) => {
        if (isWellFormedEntry(entry)) {
          accepted++;
          expect(secretEntrySchema.safeParse(entry).success).toBe(true);
        }
      }),
      { seed: 7, numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0); // the property was not vacuous
  });

  it('judges base64 exactly as the schema does, both ways', () => {
    const real = Object.values(sealedFile('app', 'dev', ['A']).secrets)[0]!;
    fc.assert(
      fc.property(base64ish, fc.constantFrom('ct', 'nonce', 'tag', 'epk'), (text, field) => {
        const entry = { ...real, [field]: text };
        expect(isWellFormedEntry(entry)).toBe(secretEntrySchema.safeParse(entry).success);
      }),
      { seed: 11, numRuns: 3000 },
    );
  });
});

describe('parseStageFile shortcuts', () => {
  const good = serializeStageFile(sealedFile('app', 'dev', ['ALPHA', 'BETA', 'GAMMA', 'DELTA']));
  const donors = {
    otherStage: JSON.parse(serializeStageFile(sealedFile('app', 'prod', ['ALPHA', 'BETA']))) as Record<string, unknown>,
    otherApp: JSON.parse(serializeStageFile(sealedFile('other', 'dev', ['ALPHA', 'BETA']))) as Record<string, unknown>,
  };

  it('accepts and refuses exactly the files the full path does, with the same content', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(mutationArbitrary(donors), (mutations) => {
        const text = applyAll(good, mutations);
        const want = referenceParse(text);
        let got: StageFile | undefined;
        try {
          got = parseStageFile(text, 'x.json');
        } catch (err) {
          expect(err).toBeInstanceOf(StageSecretsError);
        }
        if (want.ok) {
          accepted++;
          expect(got).toEqual(want.file);
        } else {
          refused++;
          expect(got).toBeUndefined();
        }
      }),
      { seed: 3, numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('still finds a duplicate key in a file that is otherwise canonical', () => {
    const line = good.split('\n').find((l) => l.includes('"BETA": {'))!;
    const twice = good.replace(line, `${line}\n${line}`);
    expect(() => parseStageFile(twice, 'x.json')).toThrow(/has the key "BETA" twice/);
    const reordered = good.replace('"type":"', '"type": "');
    expect(parseStageFile(reordered, 'x.json')).toEqual(parseStageFile(good, 'x.json'));
  });
});
