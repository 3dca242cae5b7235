import { describe, expect, it } from 'vitest';
import { looksLikeStageHeader, secretsFoldersOf } from '../../../src/git/secrets-folders.js';

describe('secretsFoldersOf: every folder the plugin or run could open, from a tree listing', () => {
  const headers = new Set(['config/vault/prod.json']);
  const isHeader = (file: string) => headers.has(file);

  it('a secrets/ folder with a <stage>.json, or any folder whose <stage>.json is a header by content', () => {
    const files = [
      'package.json',
      'secrets/dev.json',
      'secrets/dev/A.json',
      'services/api/secrets/prod.json',
      'config/vault/prod.json',
      'config/other/tsconfig.json',
      'docs/secrets/README.md',
    ];
    expect(secretsFoldersOf(files, isHeader).map((f) => [f.folder, f.stages])).toEqual([
      ['config/vault', ['prod']],
      ['secrets', ['dev']],
      ['services/api/secrets', ['prod']],
    ]);
  });

  it('lists every file that is no header or entry of its stages, dot-files and deeper files included', () => {
    const files = [
      'secrets/prod.json',
      'secrets/prod/A.json',
      'secrets/.prod.rotating.json',
      'secrets/prod/.DS_Store',
      'secrets/prod/lower-case.json',
      'secrets/prod/deeper/B.json',
      'secrets/orphan/C.json',
      'secrets/notes.txt',
    ];
    const [folder] = secretsFoldersOf(files, () => false);
    expect(folder!.unexpected).toEqual([
      { file: 'secrets/.prod.rotating.json', kind: 'unexpected' },
      { file: 'secrets/notes.txt', kind: 'unexpected' },
      { file: 'secrets/orphan/C.json', kind: 'unexpected' },
      { file: 'secrets/prod/.DS_Store', kind: 'os-litter' },
      { file: 'secrets/prod/deeper/B.json', kind: 'unexpected' },
      { file: 'secrets/prod/lower-case.json', kind: 'unexpected' },
    ]);
  });

  it('an explicit folder counts whatever it holds; a repository root that is one lists only its stage folders', () => {
    expect(secretsFoldersOf(['x/readme.md'], () => false, ['x'])).toEqual([
      { folder: 'x', stages: [], unexpected: [{ file: 'x/readme.md', kind: 'unexpected' }] },
    ]);
    const root = secretsFoldersOf(['dev.json', 'dev/A.json', 'dev/x.txt', 'src/index.js'], (f) => f === 'dev.json');
    expect(root).toEqual([{ folder: '', stages: ['dev'], unexpected: [{ file: 'dev/x.txt', kind: 'unexpected' }] }]);
  });
});

describe('looksLikeStageHeader', () => {
  it('an object with publicKey and identities, also written with \\u escapes; nothing else', () => {
    expect(looksLikeStageHeader('{"publicKey":"x","identities":[]}')).toBe(true);
    expect(looksLikeStageHeader('{"\\u0070ublicKey":"x","identities":[]}')).toBe(true);
    expect(looksLikeStageHeader('{"name":"pkg"}')).toBe(false);
    expect(looksLikeStageHeader('{"publicKey": "x"')).toBe(false);
    expect(looksLikeStageHeader('["publicKey","identities"]')).toBe(false);
  });
});
