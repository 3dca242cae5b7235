import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

/*
 * Unit tests mirror src/: test/unit/<layer>/<module>.test.ts tests src/<layer>/<module>.ts, and
 * test/unit/support/<module>.test.ts tests test/support/<module>.ts. A module tested from several angles
 * may have several files, <module>.<aspect>.test.ts. Only this file sits at the top of test/unit.
 */

const UNIT = path.join(REPO_ROOT, 'test/unit');
const SELF = 'layout.test.ts';

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

/** The module a unit test file is named after, relative to the repository, or why it has none. */
function moduleOf(testFile: string): string {
  const parts = testFile.split('/');
  if (parts.length < 2) return `no layer folder: move it to test/unit/<layer>/`;
  const [layer, ...rest] = parts;
  const file = rest.join('/').replace(/\.test\.ts$/, '');
  const dir = path.dirname(file);
  const module = path.join(dir, `${path.basename(file).split('.')[0]}.ts`);
  return layer === 'support' ? path.join('test/support', module) : path.join('src', layer!, module);
}

describe('test/unit mirrors src/', () => {
  it('finds the unit test files', () => {
    expect(testFiles(UNIT).length).toBeGreaterThan(10);
  });

  it('names every unit test file after a module that exists', () => {
    const unmatched = testFiles(UNIT)
      .filter((file) => file !== SELF)
      .map((file) => ({ file, module: moduleOf(file) }))
      .filter(({ module }) => module.startsWith('no ') || !fs.existsSync(path.join(REPO_ROOT, module)))
      .map(({ file, module }) => `test/unit/${file}: ${module}`);
    expect(unmatched).toEqual([]);
  });

  it('knows a mirrored name from one that is not', () => {
    expect(moduleOf('stages/load.test.ts')).toBe('src/stages/load.ts');
    expect(moduleOf('sst/index.transform.test.ts')).toBe('src/sst/index.ts');
    expect(moduleOf('support/kms-server.test.ts')).toBe('test/support/kms-server.ts');
    expect(moduleOf('stages-load.test.ts')).toMatch(/^no layer folder/);
    expect(fs.existsSync(path.join(REPO_ROOT, moduleOf('stages/no-such-module.test.ts')))).toBe(false);
  });
});
