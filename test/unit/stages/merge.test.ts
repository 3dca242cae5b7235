import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serializeStageFile, type SecretEntry, type StageFile } from '../../../src/core/format.js';
import { mergeStageFiles, mergeStageTexts } from '../../../src/stages/merge.js';
import { parseStageText } from '../../../src/stages/stage-text.js';

const b64 = (n: number) => randomBytes(n).toString('base64');

function entry(approved = false): SecretEntry {
  return {
    type: 'string',
    updated: '2026-01-02T03:04:05.000Z',
    epk: b64(32),
    nonce: b64(12),
    ct: b64(20),
    tag: b64(16),
    ...(approved ? { approved: b64(32) } : {}),
  };
}

function stage(secrets: Record<string, SecretEntry>, publicKey = b64(32)): StageFile {
  return {
    version: 2,
    app: 'app',
    stage: 'dev',
    publicKey,
    identities: [
      {
        type: 'local',
        id: 'local:0011223344556677',
        created: '2026-01-01T00:00:00.000Z',
        fingerprint: '0011223344556677',
        nonce: b64(12),
        wrapped: b64(32),
        tag: b64(16),
      },
    ],
    secrets,
  };
}

/** a copy of `file` with its secrets edited: undefined removes a name */
function edit(file: StageFile, changes: Record<string, SecretEntry | undefined>): StageFile {
  const secrets = { ...file.secrets };
  for (const [name, e] of Object.entries(changes)) {
    if (e) secrets[name] = e;
    else delete secrets[name];
  }
  return { ...file, secrets };
}

const text = (f: StageFile) => serializeStageFile(f);

describe('mergeStageFiles', () => {
  const base = stage({ B: entry(true), D: entry(), F: entry(true), H: entry() });

  it('combines additions (start, middle, end), removals, replacements and approvals of both sides, in either order', () => {
    const A = entry();
    const C = entry(true);
    const Z = entry();
    const newF = { ...entry(), approved: base.secrets.F!.approved };
    const approvedD = { ...base.secrets.D!, approved: b64(32) };
    const ours = edit(base, { A, C, H: undefined });
    const theirs = edit(base, { Z, F: newF, D: approvedD });
    const expected = text(edit(base, { A, C, Z, F: newF, D: approvedD, H: undefined }));
    for (const [o, t] of [
      [ours, theirs],
      [theirs, ours],
    ] as const) {
      const r = mergeStageFiles(base, o, t);
      expect(r.clean).toBe(true);
      expect(text(r.file)).toBe(expected);
    }
  });

  it('merges an approval on one side with a replacement on the other into the new value, approved', () => {
    const tag = b64(32);
    const replaced = entry();
    const r = mergeStageFiles(
      base,
      edit(base, { D: { ...base.secrets.D!, approved: tag } }),
      edit(base, { D: replaced }),
    );
    expect(r.clean).toBe(true);
    expect(r.file.secrets.D).toEqual({ ...replaced, approved: tag });
  });

  it('takes the same change made on both sides once', () => {
    const same = entry();
    const r = mergeStageFiles(base, edit(base, { X: same, H: undefined }), edit(base, { X: same, H: undefined }));
    expect(r.clean).toBe(true);
    expect(text(r.file)).toBe(text(edit(base, { X: same, H: undefined })));
  });

  it('reports a secret changed differently on both sides, keeps ours for it and merges the rest', () => {
    const ours = edit(base, { B: entry(), A: entry() });
    const theirs = edit(base, { B: entry(), Z: entry(), X: entry() });
    const r = mergeStageFiles(base, ours, theirs);
    expect(r.clean).toBe(false);
    expect(r.conflicts).toEqual({ header: false, names: ['B'] });
    expect(text(r.file)).toBe(
      text(edit(base, { A: ours.secrets.A, B: ours.secrets.B, Z: theirs.secrets.Z, X: theirs.secrets.X })),
    );
  });

  it('reports removal on one side against a change or an approval on the other', () => {
    expect(mergeStageFiles(base, edit(base, { D: undefined }), edit(base, { D: entry() })).conflicts.names).toEqual([
      'D',
    ]);
    expect(
      mergeStageFiles(base, edit(base, { D: { ...base.secrets.D!, approved: b64(32) } }), edit(base, { D: undefined }))
        .conflicts.names,
    ).toEqual(['D']);
  });

  it('reports the same new name added with different values', () => {
    const r = mergeStageFiles(base, edit(base, { N: entry() }), edit(base, { N: entry() }));
    expect(r.conflicts.names).toEqual(['N']);
  });

  it('takes a header change of one side, and reports a header changed differently on both (our file kept whole)', () => {
    const rewrapped = {
      ...base,
      identities: [
        ...base.identities,
        { ...base.identities[0]!, id: 'local:8899aabbccddeeff', fingerprint: '8899aabbccddeeff' },
      ],
    };
    const added = edit(base, { A: entry() });
    const clean = mergeStageFiles(base, rewrapped, added);
    expect(clean.clean).toBe(true);
    expect(text(clean.file)).toBe(text(edit(rewrapped, { A: added.secrets.A })));

    const policy = { ...base, policy: { mode: 'open' as const, tag: b64(32) } };
    const ours = edit(policy, { A: entry() });
    const r = mergeStageFiles(base, ours, edit(rewrapped, { Z: entry() }));
    expect(r.clean).toBe(false);
    expect(r.conflicts.header).toBe(true);
    expect(text(r.file)).toBe(text(ours));
  });

  it('refuses entries changed under a public key the other side rotated away', () => {
    const rotated = stage(Object.fromEntries(Object.keys(base.secrets).map((n) => [n, entry()])));
    const r = mergeStageFiles(base, rotated, edit(base, { NEW: entry() }));
    expect(r.clean).toBe(false);
    expect(r.conflicts).toEqual({ header: true, names: ['NEW'] });
    expect(text(r.file)).toBe(text(rotated));
    const other = mergeStageFiles(base, edit(base, { NEW: entry() }), rotated);
    expect(other.conflicts).toEqual({ header: true, names: ['NEW'] });
    expect(mergeStageFiles(base, rotated, base).clean).toBe(true);
  });
});

describe('mergeStageTexts', () => {
  const base = stage({ B: entry() });

  it('gives canonical text that parses', () => {
    const r = mergeStageTexts(
      text(base),
      text(edit(base, { A: entry() })),
      text(edit(base, { C: entry() })),
      'secrets/dev.json',
    );
    expect(r.kind).toBe('merged');
    if (r.kind !== 'merged') return;
    expect(Object.keys(parseStageText(r.text, 'x').secrets)).toEqual(['A', 'B', 'C']);
  });

  it('reports a side that does not parse, without throwing and without quoting it', () => {
    const r = mergeStageTexts(text(base), '{"version": 2, "app": "sk-SECRET', text(base), 'secrets/dev.json');
    expect(r.kind).toBe('unreadable');
    if (r.kind !== 'unreadable') return;
    expect(r.problems.join(' ')).toContain('secrets/dev.json (ours)');
    expect(r.problems.join(' ')).not.toContain('sk-SECRET');
  });

  it('merges a stage created on both sides with one key, and reports two different keys', () => {
    const ours = edit(base, { A: entry() });
    const theirs = edit(base, { C: entry() });
    const same = mergeStageTexts('', text(ours), text(theirs), 'p');
    expect(same.kind).toBe('merged');
    const other = mergeStageTexts('', text(ours), text(stage({ C: entry() })), 'p');
    expect(other.kind).toBe('conflict');
  });
});
