/**
 * A hostile commit can hold symbolic links. A link where the tool writes (`.gitattributes`, the secrets
 * folder, a stage file, `export --out`, `--files-dir`) would make it write outside the repository: a
 * `.gitattributes` linked to ~/.bashrc got a line appended, and the next shell ran a file of the repo.
 * Every write lands only in a regular file inside the repository, else the command fails naming the
 * path and the fix, and the file outside is unchanged.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const BASHRC = '# the user shell start-up file\nexport EDITOR=vi\n';

describe('writes never follow a symbolic link out of the repository', () => {
  let ws: Workspace;
  let home: string;
  let env: NodeJS.ProcessEnv;

  const git = (args: string[]) => {
    const r = spawnSync('git', args, { cwd: ws.dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const commitAll = () => {
    git(['add', '-A']);
    git(['commit', '-qm', 'attacker change']);
  };
  /** Every file under `dir` with its content: what "unchanged" is compared against. */
  const snapshot = (dir: string): Record<string, string> =>
    Object.fromEntries(
      (fs.readdirSync(dir, { recursive: true }) as string[])
        .map((name) => path.join(dir, name))
        .filter((file) => fs.lstatSync(file).isFile())
        .map((file) => [path.relative(dir, file), fs.readFileSync(file, 'utf8')]),
    );

  beforeEach(() => {
    ws = makeWorkspace('victim-repo');
    home = path.dirname(ws.dir); // the workspace's HOME, outside the repository
    env = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
    fs.writeFileSync(path.join(home, '.bashrc'), BASHRC);
    git(['init', '-q', '-b', 'main']);
    git(['config', 'user.name', 'Attacker']);
    git(['config', 'user.email', 'a@example.com']);
    git(['config', 'commit.gpgsign', 'false']);
  });
  afterEach(() => ws.cleanup());

  it('git-setup refuses a committed .gitattributes that links to ~/.bashrc, and leaves it unchanged', async () => {
    fs.writeFileSync(path.join(ws.dir, 'payload.sh'), '#!/bin/sh\necho pwned\n', { mode: 0o755 });
    fs.symlinkSync(path.join(home, '.bashrc'), path.join(ws.dir, '.gitattributes'));
    commitAll();
    const r = await ws.run(['git-setup'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('.gitattributes is a symbolic link');
    expect(r.stderr).toContain('rm .gitattributes');
    expect(fs.readFileSync(path.join(home, '.bashrc'), 'utf8')).toBe(BASHRC);
    expect(fs.lstatSync(path.join(ws.dir, '.gitattributes')).isSymbolicLink()).toBe(true);
    const driver = spawnSync('git', ['config', '--local', '--get', 'merge.stage-secrets.driver'], { cwd: ws.dir, env });
    expect(driver.status, 'git config was changed although the command failed').toBe(1);
  });

  it('git-setup still writes a regular .gitattributes inside the repository', async () => {
    fs.writeFileSync(path.join(ws.dir, '.gitattributes'), '*.png binary\n');
    const r = await ws.run(['git-setup'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(ws.dir, '.gitattributes'), 'utf8')).toBe(
      '*.png binary\nsecrets/*.json merge=stage-secrets diff=stage-secrets\nsecrets/*/*.json diff=stage-secrets\n',
    );
    expect(fs.lstatSync(path.join(ws.dir, '.gitattributes')).isFile()).toBe(true);
  });

  it('init refuses a committed secrets/ folder that links outside; nothing is written there', async () => {
    const outside = path.join(home, 'elsewhere');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(ws.dir, 'secrets'));
    commitAll();
    const r = await ws.run(['init', '--stage', 'dev'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('secrets');
    expect(r.stderr).toContain('leads outside the repository');
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it("set refuses a secrets/ folder that links to another app's secrets; that folder is unchanged", async () => {
    const other = makeWorkspace('other-app');
    try {
      expect((await other.run(['init', '--stage', 'dev'])).code).toBe(0);
      const before = snapshot(path.join(other.dir, 'secrets'));
      fs.symlinkSync(path.join(other.dir, 'secrets'), path.join(ws.dir, 'secrets'));
      commitAll();
      const r = await ws.run(['set', '--stage', 'dev', 'API_KEY', 'attacker-value-1'], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('leads outside the repository');
      expect(snapshot(path.join(other.dir, 'secrets'))).toEqual(before);
      expect(fs.readdirSync(path.join(other.dir, 'secrets')).sort()).toEqual(Object.keys(before).sort());
    } finally {
      other.cleanup();
    }
  });

  it('set refuses a stage file that is a symbolic link, and the linked file is unchanged', async () => {
    const other = makeWorkspace('other-app');
    try {
      expect((await other.run(['init', '--stage', 'dev', '--app', 'victim-repo'])).code).toBe(0);
      const target = other.stageFile('dev');
      const before = fs.readFileSync(target, 'utf8');
      fs.mkdirSync(path.join(ws.dir, 'secrets'));
      fs.symlinkSync(target, path.join(ws.dir, 'secrets', 'dev.json'));
      commitAll();
      const r = await ws.run(['set', '--stage', 'dev', 'API_KEY', 'attacker-value-1'], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${path.join('secrets', 'dev.json')} is a symbolic link`);
      expect(fs.readFileSync(target, 'utf8')).toBe(before);
      expect(fs.lstatSync(path.join(ws.dir, 'secrets', 'dev.json')).isSymbolicLink()).toBe(true);
    } finally {
      other.cleanup();
    }
  });

  describe('with a stage', () => {
    beforeEach(async () => {
      expect((await ws.run(['init', '--stage', 'dev'], { env })).code).toBe(0);
      expect((await ws.run(['set', '--stage', 'dev', 'API_KEY', 'plain-value-1234'], { env })).code).toBe(0);
    });

    it('export --out refuses a committed .env that links to ~/.bashrc; no value reaches it', async () => {
      fs.symlinkSync(path.join(home, '.bashrc'), path.join(ws.dir, '.env'));
      commitAll();
      const r = await ws.run(['export', '--stage', 'dev', '--format', 'shell', '--out', '.env'], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('.env is a symbolic link');
      expect(fs.readFileSync(path.join(home, '.bashrc'), 'utf8')).toBe(BASHRC);
    });

    it('run --files-dir refuses a folder below a committed link that leads outside; no child starts', async () => {
      const outside = path.join(home, 'elsewhere');
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(ws.dir, 'tmp'));
      commitAll();
      const child = [process.execPath, '-e', 'console.log("CHILD")'];
      const r = await ws.run(['run', '--stage', 'dev', '--files-dir', 'tmp/secrets', '--', ...child], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).not.toContain('CHILD');
      expect(r.stderr).toContain('leads outside the repository');
      expect(fs.readdirSync(outside)).toEqual([]);
    });
  });
});
