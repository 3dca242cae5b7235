import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

/** An empty value (EMPTY=) is no secret: import refuses the file and names --skip-empty, which imports the rest. */
describe('import: empty values', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('empty-app');
    expect((await ws.run(['init', '--stage', 'dev'])).code).toBe(0);
    fs.writeFileSync(path.join(ws.dir, 'app.env'), 'API_KEY=k-123\nEMPTY=\nQUOTED_EMPTY=""\nDB_URL=postgres://x\n');
  }, 30_000);
  afterAll(() => ws.cleanup());

  it('refuses the file by default, naming the lines and --skip-empty', async () => {
    const r = await ws.run(['import', '--stage', 'dev', 'app.env']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 2: value of EMPTY is empty');
    expect(r.stderr).toContain('line 3: value of QUOTED_EMPTY is empty');
    expect(r.stderr).toContain('--skip-empty');
    expect(Object.keys(ws.readStage('dev').secrets)).toEqual([]);
  });

  it('--skip-empty imports every other entry and names the skipped ones', async () => {
    const r = await ws.run(['import', '--stage', 'dev', '--skip-empty', 'app.env']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('skipped 2 empty values: EMPTY, QUOTED_EMPTY');
    expect(r.stderr).toContain('imported 2 secrets');
    expect(Object.keys(ws.readStage('dev').secrets).sort()).toEqual(['API_KEY', 'DB_URL']);
  });

  it('--skip-empty leaves a stage value of a skipped name as it is, and says so', async () => {
    expect((await ws.run(['set', '--stage', 'dev', 'EMPTY', 'kept'])).code).toBe(0);
    const before = JSON.stringify(ws.readStage('dev').secrets.EMPTY);
    const r = await ws.run(['import', '--stage', 'dev', '--skip-empty', 'app.env']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/EMPTY keeps its value in stage dev/);
    expect(JSON.stringify(ws.readStage('dev').secrets.EMPTY)).toBe(before);
  });

  it('a file of nothing but empty values imports nothing, even with --skip-empty', async () => {
    fs.writeFileSync(path.join(ws.dir, 'blank.env'), 'A=\nB=\n');
    const r = await ws.run(['import', '--stage', 'dev', '--skip-empty', 'blank.env']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('only empty values');
  });

  it('--help documents what an empty value means and the flag', async () => {
    const r = await ws.run(['import', '--help']);
    expect(r.stdout).toContain('--skip-empty');
    expect(r.stdout).toMatch(/empty value/i);
  });
});
