import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/cli.js';
import {
  CODE_ROOTS,
  codeFiles,
  importsOf,
  LAYERS,
  layerOf,
  renderLayersTable,
  violation,
} from '../../support/layers.js';

const exists = (file: string) => fs.existsSync(path.join(REPO_ROOT, file));

describe('the layering table holds the code', () => {
  const files = codeFiles(REPO_ROOT);

  it('covers every folder of the code with a row', () => {
    expect(files.length).toBeGreaterThan(100);
    const folders = new Set(
      files.map((f) => {
        const parts = f.split('/');
        return parts.length > 2 && parts[0] === 'src'
          ? `src/${parts[1]}/`
          : parts.length > 1 && parts[0] !== 'src'
            ? `${parts[0]}/`
            : f;
      }),
    );
    const rows = new Set(LAYERS.map((l) => l.path));
    expect([...folders].filter((f) => !rows.has(f))).toEqual([]);
    expect(CODE_ROOTS).toContain('console-ui');
  });

  it('holds no merge leftovers or editor backups among the code (a .orig, .rej or ~ file is not code)', () => {
    const tracked = execFileSync('git', ['ls-files', '-z', ...CODE_ROOTS], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.filter((f) => /(\.orig|\.rej|\.bak|~)$/.test(f))).toEqual([]);
  });

  it('finds no import the table forbids', () => {
    const broken = files.flatMap((file) =>
      importsOf(file, fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'), exists)
        .map(violation)
        .filter((v): v is string => v !== undefined),
    );
    expect(broken).toEqual([]);
  });

  it('fails on a planted violation: an upward import, a sideways one, and one from a folder without a row', () => {
    const planted = [
      "import { loadSecrets } from '../stages/load.js';",
      "import { exitCodeOf } from '../cli/exit-codes.js';",
      "export { x } from '../src/core/names.js';",
    ];
    expect(importsOf('src/core/x.ts', planted[0]!, exists).map(violation)).toEqual([
      'src/core/x.ts imports src/stages/load.ts: src/core/ may import nothing',
    ]);
    expect(importsOf('src/action/main.ts', planted[1]!, () => false).map(violation)[0]).toMatch(
      /^src\/action\/main\.ts imports src\/cli\/exit-codes\.js: src\/action\/ may import /,
    );
    expect(importsOf('console-ui/x.tsx', planted[2]!, exists).map(violation)).toEqual([
      'console-ui/x.tsx imports src/core/names.ts: console-ui/ may import `src/console/api.ts`'.replace(/`/g, ''),
    ]);
    expect(violation({ from: 'lib/x.ts', to: 'src/core/names.ts' })).toBe(
      'lib/x.ts is in no row of the layering table',
    );
  });

  it('reads the import forms the code uses', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../core/b.js';",
      "export { c } from '../store/c.js';",
      "const d = await import('../identities/d.js');",
      "import './side-effect.js';",
      "import * as fs from 'node:fs';",
    ].join('\n');
    expect(importsOf('src/stages/x.ts', text, () => false).map((i) => i.to)).toEqual([
      'src/stages/a.js',
      'src/core/b.js',
      'src/store/c.js',
      'src/identities/d.js',
      'src/stages/side-effect.js',
    ]);
  });

  it('puts a file in the row of its folder, a file row before its folder', () => {
    expect(layerOf('src/index.ts')?.path).toBe('src/index.ts');
    expect(layerOf('src/stages/load.ts')?.path).toBe('src/stages/');
    expect(layerOf('console-ui/stage.tsx')?.path).toBe('console-ui/');
  });

  it('is the table docs/contributing.md shows', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/contributing.md'), 'utf8');
    expect(doc).toContain(renderLayersTable());
  });
});
