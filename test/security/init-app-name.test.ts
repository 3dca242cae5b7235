/**
 * init records the app name from --app, the serverless config, package.json or the folder name. The last
 * two are whatever a repo writer put there: a name with a line break or a terminal escape must not be
 * printed into the CI log (a line starting with `::` is a GitHub workflow command) nor written into a
 * stage file that every later command would then refuse (the schema forbids control characters).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const HOSTILE = 'shop\n::warning::injected\u001b[31m';

describe('init with an app name holding control characters', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  function expectRefused(r: { code: number | null; stdout: string; stderr: string }, dir: string): void {
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('app name');
    expect(r.stderr + r.stdout).not.toMatch(/^::warning::/m);
    expect(r.stderr + r.stdout).not.toContain('\u001b');
    expect(fs.existsSync(path.join(dir, 'secrets'))).toBe(false);
  }

  it("from package.json's name: refused before anything is written, the name not echoed", async () => {
    ws = makeWorkspace('pkg-app');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    fs.writeFileSync(path.join(ws.dir, 'package.json'), JSON.stringify({ name: HOSTILE }));
    const r = await ws.run(['init', '--stage', 'dev', '--local']);
    expectRefused(r, ws.dir);
    expect(r.stderr).toContain('name in package.json');
  });

  it('from --app: refused the same way', async () => {
    ws = makeWorkspace('flag-app');
    const r = await ws.run(['init', '--stage', 'dev', '--local', '--app', HOSTILE]);
    expectRefused(r, ws.dir);
  });

  it('from the folder name: refused the same way', async () => {
    ws = makeWorkspace('outer');
    const dir = path.join(ws.dir, 'svc\n::warning::folder');
    fs.mkdirSync(dir);
    const r = await ws.run(['init', '--stage', 'dev', '--local'], { cwd: dir });
    expectRefused(r, dir);
  });
});
