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
