import { describe, expect, it } from 'vitest';
import type { SecretEntry, StageFile } from '../../../src/core/format.js';
import { stageChanges } from '../../../src/stages/history.js';

const e = (ct: string, approved?: string): SecretEntry => ({
  type: 'string',
  updated: '2026-01-01T00:00:00.000Z',
  epk: 'e',
  nonce: 'n',
  ct,
  tag: 't',
  ...(approved ? { approved } : {}),
});
const f = (secrets: Record<string, SecretEntry>, publicKey = 'pk'): StageFile => ({
  version: 2,
  app: 'a',
  stage: 'dev',
  publicKey,
  identities: [],
  secrets,
});

describe('stageChanges', () => {
  it('names added, changed, removed and approved secrets, sorted', () => {
    const before = f({ A: e('1'), B: e('2'), C: e('3'), D: e('4', 'x') });
    const after = f({ A: e('1', 'tag'), B: e('9'), D: e('5', 'x'), E: e('6'), F: e('7', 'y') });
    expect(stageChanges(before, after)).toEqual({
      changes: [
        { name: 'A', change: 'approved' },
        { name: 'B', change: 'changed' },
        { name: 'C', change: 'removed' },
        { name: 'D', change: 'changed' },
        { name: 'E', change: 'added' },
        { name: 'F', change: 'added' },
      ],
      header: false,
    });
  });

  it('tells a header change, and a new file as additions only', () => {
    expect(stageChanges(f({}), f({}, 'other')).header).toBe(true);
    expect(stageChanges(undefined, f({ A: e('1') }))).toEqual({
      changes: [{ name: 'A', change: 'added' }],
      header: false,
    });
  });
});
