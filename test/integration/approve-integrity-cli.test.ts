import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyWorkspace, makeWorkspace, type Workspace } from '../support/cli.js';

/**
 * A value is sealed to its name: an entry file copied or renamed to another name does not open. approve
 * refuses to approve such a name (exit 2, naming it and the integrity failure) and writes nothing.
 */
describe('approve: an entry that does not open is not approved', () => {
  let ws: Workspace;
  const noKey = { XDG_CONFIG_HOME: '/nonexistent-config' };
  const entry = (name: string) => path.join(ws.dir, 'secrets', 'dev', `${name}.json`);
  // the stage, made once through the CLI; each test gets a copy
  let prepared: Workspace;
  beforeAll(async () => {
    prepared = makeWorkspace('approve-app');
    expect((await prepared.run(['init', '--stage', 'dev'])).code).toBe(0);
    expect((await prepared.run(['set', '--stage', 'dev', 'API_KEY', 'v-1'], { env: noKey })).code).toBe(0); // pending
  }, 30_000);
  afterAll(() => prepared.cleanup());
  beforeEach(() => {
    ws = copyWorkspace(prepared);
  });
  afterEach(() => ws.cleanup());

  it('refuses a copied entry named on the command line', async () => {
    fs.copyFileSync(entry('API_KEY'), entry('COPIED'));
    const before = ws.snapshot('dev');
    const r = await ws.run(['approve', '--stage', 'dev', 'COPIED']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not approving COPIED: its sealed value does not open/);
    expect(r.stderr).toContain('set --stage dev COPIED');
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('refuses a renamed entry among every pending name, approving none', async () => {
    fs.renameSync(entry('API_KEY'), entry('RENAMED'));
    expect((await ws.run(['set', '--stage', 'dev', 'GOOD', 'v-2'], { env: noKey })).code).toBe(0);
    const before = ws.snapshot('dev');
    const r = await ws.run(['approve', '--stage', 'dev']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not approving RENAMED/);
    expect(r.stderr).not.toMatch(/not approving GOOD/);
    expect(ws.snapshot('dev')).toBe(before);
    const good = await ws.run(['approve', '--stage', 'dev', 'GOOD']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toContain('approved GOOD');
  });

  it('still approves an entry that opens', async () => {
    const r = await ws.run(['approve', '--stage', 'dev', 'API_KEY']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('approved API_KEY');
    expect((await ws.run(['verify', '--stage', 'dev'])).code).toBe(0);
  });
});
