import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { handlerFile, handlerModule, moduleGraph } from '../../../src/contract/module-graph.js';

let dir: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};
const shown = (file: string) => path.relative(dir, file);

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('moduleGraph', () => {
  it("follows the service's own imports (ESM, CommonJS, .js specifiers of .ts files), not packages", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-graph-'));
    write(
      'src/handler.ts',
      "import { db } from './db.js';\nimport { z } from 'zod';\nexport const main = () => [db(), z];\n",
    );
    write('src/db.ts', "const legacy = require('../legacy/conn');\nexport const db = () => legacy;\n");
    write('legacy/conn.js', "module.exports = require('./more.cjs');\n");
    write('legacy/more.cjs', 'module.exports = 1;\n');
    write('src/unused.ts', 'export const x = process.env.NOT_IN_GRAPH;\n');
    const graph = await moduleGraph(dir, path.join(dir, 'src/handler.ts'), shown);
    expect(graph.problems).toEqual([]);
    expect(graph.files.map(shown)).toEqual(['legacy/conn.js', 'legacy/more.cjs', 'src/db.ts', 'src/handler.ts']);
  });

  it('a graph it cannot build is reported with file and line; the entry alone is scanned', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-graph-'));
    write('handler.js', "const x = require('./missing');\nexports.main = () => x;\n");
    const graph = await moduleGraph(dir, path.join(dir, 'handler.js'), shown);
    expect(graph.files.map(shown)).toEqual(['handler.js']);
    expect(graph.problems).toEqual([
      { file: 'handler.js:1', reason: expect.stringContaining('Could not resolve "./missing"') },
    ]);
  });
});

describe('moduleGraph: tsconfig aliases and refusals', () => {
  it('follows tsconfig paths (from an extended file, comments and trailing commas allowed), folder index files', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-graph-'));
    write('tsconfig.json', '{ "extends": "./tsconfig.paths.json", /* c */ "compilerOptions": { "strict": true, } }');
    write('tsconfig.paths.json', '{ "compilerOptions": { "baseUrl": ".", "paths": { "@libs/*": ["src/libs/*"] } } }');
    write(
      'src/fn/handler.ts',
      "import { db } from '@libs/db';\nimport type { T } from '@libs/types';\nexport const main = () => db;\n",
    );
    write('src/libs/db/index.ts', "export { db } from './conn';\n");
    write('src/libs/db/conn.ts', 'export const db = process.env.DB_URL;\n');
    write('src/libs/types.ts', 'export type T = string;\n');
    const graph = await moduleGraph(dir, path.join(dir, 'src/fn/handler.ts'), shown);
    expect(graph.problems).toEqual([]);
    // a type-only import loads nothing
    expect(graph.files.map(shown)).toEqual(['src/fn/handler.ts', 'src/libs/db/conn.ts', 'src/libs/db/index.ts']);
  });

  it('an import linked to a device is named by the reader, the rest of the graph kept', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-graph-'));
    write('handler.js', "require('./ok');\nrequire('./zero');\n");
    write('ok.js', 'module.exports = 1;\n');
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.js'));
    const graph = await moduleGraph(dir, path.join(dir, 'handler.js'), shown);
    expect(graph.files.map(shown)).toEqual(['handler.js', 'ok.js']);
    expect(graph.problems).toEqual([
      { file: 'zero.js', reason: expect.stringMatching(/^could not read it, because it is not a regular file/) },
    ]);
  });
});

describe('handlerFile', () => {
  it('finds the module of a handler string like the runtime: .js first, then .mjs, .cjs, .ts', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-graph-'));
    write('src/api/handler.ts', '');
    write('src/api/handler.mjs', '');
    expect(handlerModule('src/api/handler.main')).toBe('src/api/handler');
    expect(handlerModule('handler.api.main')).toBe('handler');
    expect(handlerModule('nodot')).toBeUndefined();
    expect(shown(handlerFile(dir, 'src/api/handler.main')!)).toBe('src/api/handler.mjs');
    expect(handlerFile(dir, 'src/none.main')).toBeUndefined();
  });
});
