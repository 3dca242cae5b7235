import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeStageFile, type StageFile } from '../../src/core/format.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { writeV2Stage } from '../support/stage-files.js';
import { parseStageText } from '../../src/stages/stage-text.js';

/** A repository in a temp workspace: git with no system or user config but its own. */
function gitRepo(ws: Workspace) {
  const noKey = path.join(ws.config, '..', 'no-key-config');
  fs.mkdirSync(noKey, { recursive: true });
  const env = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const g = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: ws.dir, env, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = g(...args);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const cli = async (args: string[], keyless = false) => {
    const r = await ws.run(args, { env: { ...env, ...(keyless ? { XDG_CONFIG_HOME: noKey } : {}) } });
    if (r.code !== 0) throw new Error(`stage-secrets ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  return { g, ok, cli, env };
}

/** The merge driver is for the one-file layout (v2): these tests run on a v2 stage and read its one file. */
const fileText = (ws: Workspace): string => fs.readFileSync(path.join(ws.dir, 'secrets', 'dev.json'), 'utf8');
const read = (ws: Workspace): StageFile => parseStageText(fileText(ws), 'dev');

describe('git: merge driver and textconv on a real repository (v2 stage files)', () => {
  let ws: Workspace;
  let repo: ReturnType<typeof gitRepo>;

  beforeAll(async () => {
    ws = makeWorkspace('team-app');
    repo = gitRepo(ws);
    repo.ok('init', '-q', '-b', 'main');
    repo.ok('config', 'user.name', 'Test');
    repo.ok('config', 'user.email', 'test@example.com');
    repo.ok('config', 'commit.gpgsign', 'false');
    await repo.cli(['init', '--stage', 'dev']);
    for (const name of ['B', 'F', 'H', 'M']) await repo.cli(['set', '--stage', 'dev', name, `v-${name}`]);
    await repo.cli(['set', '--stage', 'dev', 'D', 'v-D'], true); // pending
    writeV2Stage(path.join(ws.dir, 'secrets'), 'dev');
    expect(read(ws).version).toBe(2);
    const setup = await repo.cli(['git-setup']);
    expect(setup.stderr).toContain('secrets/*.json merge=stage-secrets diff=stage-secrets');
    repo.ok('add', '-A');
    repo.ok('commit', '-qm', 'base');
  }, 60_000);
  afterAll(() => ws.cleanup());

  it('git-setup is idempotent and points at this node and the installed bin', async () => {
    const again = await repo.cli(['git-setup']);
    expect(again.stderr).toContain('nothing to change');
    expect(fs.readFileSync(path.join(ws.dir, '.gitattributes'), 'utf8')).toBe(
      'secrets/*.json merge=stage-secrets diff=stage-secrets\nsecrets/*/*.json diff=stage-secrets\n',
    );
    const driver = repo.ok('config', '--get', 'merge.stage-secrets.driver');
    expect(driver).toContain(process.execPath);
    expect(driver).toContain(`${fs.realpathSync(path.join(__dirname, '../../dist/cli.mjs'))} merge-driver %O %A %B %P`);
    expect(repo.ok('config', '--get', 'diff.stage-secrets.textconv')).toMatch(/cli\.mjs textconv\n$/);
  });

  it('git-setup writes the secrets folder given with --dir, relative to the repository root, after existing lines', async () => {
    const other = makeWorkspace('nested');
    try {
      const env = { ...other.env, GIT_CONFIG_NOSYSTEM: '1' };
      spawnSync('git', ['init', '-q'], { cwd: other.dir, env });
      fs.writeFileSync(path.join(other.dir, '.gitattributes'), '*.png binary');
      const app = path.join(other.dir, 'services', 'api');
      fs.mkdirSync(app, { recursive: true });
      const r = await other.run(['git-setup', '--dir', 'config/secrets'], { cwd: app, env });
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(other.dir, '.gitattributes'), 'utf8')).toBe(
        '*.png binary\nservices/api/config/secrets/*.json merge=stage-secrets diff=stage-secrets\n' +
          'services/api/config/secrets/*/*.json diff=stage-secrets\n',
      );
      expect(r.stderr).toContain('added to .gitattributes');
    } finally {
      other.cleanup();
    }
  });

  it('git-setup outside a repository fails clearly', async () => {
    const outside = makeWorkspace('plain');
    try {
      const r = await outside.run(['git-setup'], {
        env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CEILING_DIRECTORIES: path.dirname(outside.dir) },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not inside a git work tree/);
    } finally {
      outside.cleanup();
    }
  });

  it('merges adds (start, middle, end), removals, replacements and approvals of both branches, in either order', async () => {
    const base = read(ws);
    repo.ok('checkout', '-qb', 'left', 'main');
    await repo.cli(['set', '--stage', 'dev', 'A', 'v-A'], true); // start, pending
    await repo.cli(['set', '--stage', 'dev', 'C', 'v-C']); // middle, approved
    await repo.cli(['rm', '--stage', 'dev', 'H']);
    await repo.cli(['set', '--stage', 'dev', 'D', 'new-D'], true); // replaced, still pending
    repo.ok('commit', '-qam', 'left');
    const left = read(ws);

    repo.ok('checkout', '-qb', 'right', 'main');
    await repo.cli(['set', '--stage', 'dev', 'Z', 'v-Z'], true); // end
    await repo.cli(['set', '--stage', 'dev', 'F', 'new-F'], true); // replaced, keeps approval
    await repo.cli(['approve', '--stage', 'dev', 'D']);
    await repo.cli(['rm', '--stage', 'dev', 'M']);
    repo.ok('commit', '-qam', 'right');
    const right = read(ws);

    // what applying both sides' operations in turn gives: every name as the side that changed it left it
    const secrets: StageFile['secrets'] = {};
    for (const name of new Set([
      ...Object.keys(base.secrets),
      ...Object.keys(left.secrets),
      ...Object.keys(right.secrets),
    ])) {
      const changedLeft = JSON.stringify(left.secrets[name]) !== JSON.stringify(base.secrets[name]);
      const e = changedLeft ? left.secrets[name] : right.secrets[name];
      if (e) secrets[name] = e;
    }
    secrets.D = { ...left.secrets.D!, approved: right.secrets.D!.approved! }; // left's value, right's approval
    const expected = serializeStageFile({ ...base, secrets });

    const results: string[] = [];
    for (const [from, into] of [
      ['left', 'right'],
      ['right', 'left'],
    ]) {
      repo.ok('checkout', '-qB', `merge-${into}`, into!);
      const r = repo.g('merge', '--no-edit', '-q', from!);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const text = fileText(ws);
      expect(text).toBe(expected);
      results.push(text);
      // every value opens with the key; the names added without a key stay pending until approved
      const report = JSON.parse((await ws.run(['verify', '--stage', 'dev', '--json'], { env: repo.env })).stdout) as {
        failed: unknown[];
        pending: string[];
      };
      expect(report.failed).toEqual([]);
      expect(report.pending).toEqual(['A', 'Z']);
      await repo.cli(['approve', '--stage', 'dev', 'A', 'Z']);
      const key = await ws.run(['verify', '--stage', 'dev'], { env: repo.env });
      expect(key.code, key.stderr + key.stdout).toBe(0);
      repo.ok('checkout', '--', '.');
    }
    expect(Object.keys(parseStageText(results[0]!, 'x').secrets)).toEqual(['A', 'B', 'C', 'D', 'F', 'Z']);
  }, 60_000);

  it('reports a secret changed on both branches: conflicted file, the clean part merged, the name in the message', async () => {
    repo.ok('checkout', '-qB', 'c1', 'main');
    await repo.cli(['set', '--stage', 'dev', 'B', 'one'], true);
    await repo.cli(['set', '--stage', 'dev', 'N1', 'x'], true);
    repo.ok('commit', '-qam', 'c1');
    const ours = read(ws);
    repo.ok('checkout', '-qB', 'c2', 'main');
    await repo.cli(['set', '--stage', 'dev', 'B', 'two'], true);
    await repo.cli(['set', '--stage', 'dev', 'N2', 'y'], true);
    repo.ok('commit', '-qam', 'c2');
    const theirs = read(ws);
    repo.ok('checkout', '-q', 'c1');
    const r = repo.g('merge', '--no-edit', 'c2');
    expect(r.code).not.toBe(0);
    const output = r.stdout + r.stderr;
    expect(output).toContain('both sides changed the secret B differently');
    expect(output).toContain('git checkout --ours/--theirs secrets/dev.json');
    expect(output).not.toContain('one');
    expect(repo.ok('status', '--porcelain')).toContain('UU secrets/dev.json');
    const merged = read(ws);
    expect(merged.secrets.B).toEqual(ours.secrets.B);
    expect(merged.secrets.N1).toEqual(ours.secrets.N1);
    expect(merged.secrets.N2).toEqual(theirs.secrets.N2);
    repo.ok('merge', '--abort');
  }, 60_000);

  it('reports a header changed differently on both branches and keeps our file', async () => {
    repo.ok('checkout', '-qB', 'h1', 'main');
    await repo.cli(['approve', '--stage', 'dev', '--open']);
    repo.ok('commit', '-qam', 'h1');
    const ours = fileText(ws);
    repo.ok('checkout', '-qB', 'h2', 'main');
    await repo.cli(['rewrap', '--stage', 'dev', '--local']);
    repo.ok('commit', '-qam', 'h2');
    repo.ok('checkout', '-q', 'h1');
    const r = repo.g('merge', '--no-edit', 'h2');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('the header (public key / identities / policy)');
    expect(fileText(ws)).toBe(ours);
    repo.ok('merge', '--abort');
  }, 60_000);

  it('merge-driver reports a side that is not a stage file as a conflict and leaves ours as it was', async () => {
    const good = fileText(ws);
    const tmp = path.join(ws.dir, '..', 'drv');
    fs.mkdirSync(tmp, { recursive: true });
    for (const [n, t] of [
      ['O', good],
      ['A', good],
      ['B', '<<<<<<< HEAD\n{"version": 2\n'],
    ])
      fs.writeFileSync(path.join(tmp, n!), t!);
    const r = await ws.run(['merge-driver', 'O', 'A', 'B', 'secrets/dev.json'], { cwd: tmp, env: repo.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'cannot merge secrets/dev.json: secrets/dev.json (theirs) has git merge conflict markers (the first at line 1)',
    );
    expect(r.stderr).not.toContain('internal error');
    expect(fs.readFileSync(path.join(tmp, 'A'), 'utf8')).toBe(good);
    const view = await ws.run(['textconv', 'B'], { cwd: tmp, env: repo.env });
    expect(view.code).toBe(0);
    expect(view.stdout).toMatch(/^\(not a readable stage file: .*\)\n$/);
  });

  it('git diff and git log -p show names and approval through textconv, never ciphertext', async () => {
    repo.ok('checkout', '-qB', 'd', 'main');
    await repo.cli(['set', '--stage', 'dev', 'NEW_ONE', 'value'], true);
    await repo.cli(['rm', '--stage', 'dev', 'H']);
    const file = read(ws);
    const diff = repo.ok('diff');
    expect(diff).toMatch(/^\+NEW_ONE {2}string {2}\S+ {2}pending {2}[0-9a-f]{12}$/m);
    expect(diff).toMatch(/^-H {2}string {2}\S+ {2}tagged \(unverified\) {2}[0-9a-f]{12}$/m);
    expect(diff).not.toContain(file.secrets.NEW_ONE!.ct);
    expect(diff).not.toContain(file.publicKey);
    repo.ok('commit', '-qam', 'd');
    const log = repo.ok('log', '-p');
    expect(log).toMatch(/^\+NEW_ONE {2}string/m);
    expect(log).toMatch(/^\+D {2}string {2}\S+ {2}pending/m);
    for (const e of Object.values(file.secrets)) expect(log).not.toContain(e.ct);
  }, 60_000);
});
