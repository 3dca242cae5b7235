import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../support/cli.js';
import { type GitRepo, gitWorkspace } from '../support/git-repo.js';

/**
 * Files an operating system drops into any folder it shows (Finder's .DS_Store, Explorer's Thumbs.db and
 * desktop.ini) are no entries and no stage: every command reads past them, and review still lists them.
 */

const LITTER = ['.DS_Store', 'Thumbs.db', 'desktop.ini'];
const DEV = ['--stage', 'dev'];

describe('OS litter in a secrets folder', () => {
  let ws: Workspace;
  let repo: GitRepo;

  beforeAll(async () => {
    ({ ws, repo } = gitWorkspace('litter-app'));
    await repo.cli(['init', ...DEV]);
    await repo.cli(['set', ...DEV, 'A', 'litter-A-value']);
    repo.commitAll('base');
    for (const folder of ['secrets', 'secrets/dev']) {
      for (const name of LITTER) fs.writeFileSync(path.join(ws.dir, folder, name), Buffer.from([0, 1, 2, 0xff]));
    }
    repo.ok('add', '-f', '-A');
    repo.ok('commit', '-qm', 'a Mac and a Windows user opened the folder');
  }, 60_000);

  afterAll(() => ws.cleanup());

  it('list, verify, run, export, set and rm read past it (exit 0)', async () => {
    expect((await repo.run(['list', ...DEV], true)).code).toBe(0);
    const verify = await repo.run(['verify', ...DEV]);
    expect(verify.code, verify.stderr).toBe(0);
    const run = await repo.run([
      'run',
      ...DEV,
      '--',
      process.execPath,
      '-e',
      'console.log(process.env.STAGE_SECRETS_KEYS)',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('A');
    expect((await repo.run(['export', ...DEV, '--format', 'json'])).code).toBe(0);
    expect((await repo.run(['set', ...DEV, 'B', 'litter-B-value'], true)).code).toBe(0);
    expect((await repo.run(['rm', ...DEV, 'B', '--force'], true)).code).toBe(0);
    for (const name of LITTER) expect(fs.existsSync(path.join(ws.dir, 'secrets/dev', name))).toBe(true);
  });

  it('review reads past it too (exit 0, even --strict) and lists every such file', async () => {
    const r = await repo.run(['review', '--base', 'HEAD~1', '--strict'], true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stage dev: no change');
    for (const name of LITTER) expect(r.stdout).toContain(`secrets/dev/${name} (OS litter, new`);
    const json = await repo.run(['review', '--base', 'HEAD~1', '--format', 'json'], true);
    const review = JSON.parse(json.stdout) as { folders: Array<{ unexpected: Array<{ file: string; kind: string }> }> };
    expect(review.folders.flatMap((f) => f.unexpected.map((u) => `${u.file} ${u.kind}`)).sort()).toEqual(
      ['secrets', 'secrets/dev'].flatMap((folder) => LITTER.map((name) => `${folder}/${name} os-litter`)).sort(),
    );
  });
});
