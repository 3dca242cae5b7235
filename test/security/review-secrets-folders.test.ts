import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../support/cli.js';
import { type GitRepo, gitWorkspace } from '../support/git-repo.js';

/**
 * A keyless writer's branch plants a second secrets folder that the plugin (from a service below it) or
 * `run` would open instead of the app's: a copy of the prod header and entries with one approved value
 * replaced by an older one from history. `review` and `check` cover every secrets folder of the repository;
 * a new, moved or nested folder fails `review --strict`, naming it; files that are no header or entry are listed.
 */

interface FolderJson {
  folder: string;
  presence: 'added' | 'removed' | 'both';
  unexpected: Array<{ file: string; kind: string; new: boolean }>;
}
interface StageJson {
  stage: string;
  folder: string;
  file: string;
  presence: string;
  copyOf?: { file: string; differs: string[] };
}
interface ReviewJson {
  folders: FolderJson[];
  stages: StageJson[];
}

const VALUES = ['old-A-value', 'new-A-value', 'prod-B-value'];

describe('review and check cover every secrets folder of the repository', () => {
  let ws: Workspace;
  let repo: GitRepo;

  async function review(args: string[], cwd?: string) {
    const r = await ws.run(['review', '--base', 'main', ...args], {
      env: { ...repo.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'no-key-config') },
      cwd,
    });
    for (const value of VALUES) expect(r.stdout + r.stderr).not.toContain(value);
    return r;
  }

  /** The attacker: a copy of the prod stage under services/api/secrets/, A's entry as it was one commit ago. */
  function plantFolder(at: string): void {
    const target = path.join(ws.dir, at);
    fs.mkdirSync(path.join(target, 'prod'), { recursive: true });
    fs.copyFileSync(path.join(ws.dir, 'secrets/prod.json'), path.join(target, 'prod.json'));
    fs.copyFileSync(path.join(ws.dir, 'secrets/prod/B.json'), path.join(target, 'prod/B.json'));
    fs.writeFileSync(path.join(target, 'prod/A.json'), repo.ok('show', 'main~1:secrets/prod/A.json'));
  }

  beforeAll(async () => {
    ({ ws, repo } = gitWorkspace('folders-app'));
    await repo.cli(['init', '--stage', 'prod']);
    await repo.cli(['set', '--stage', 'prod', 'A', 'old-A-value']);
    await repo.cli(['set', '--stage', 'prod', 'B', 'prod-B-value']);
    fs.mkdirSync(path.join(ws.dir, 'services/api'), { recursive: true });
    fs.writeFileSync(
      path.join(ws.dir, 'services/api/serverless.yml'),
      'service: api\nprovider:\n  name: aws\n  runtime: nodejs20.x\nplugins:\n  - stage-secrets/plugin\n',
    );
    repo.commitAll('base');
    await repo.cli(['set', '--stage', 'prod', 'A', 'new-A-value']);
    repo.commitAll('rotate the leaked A');
  }, 60_000);

  afterAll(() => ws.cleanup());

  beforeEach(() => {
    repo.ok('checkout', '-q', '-f', 'main');
    repo.ok('clean', '-qfdx');
    repo.g('branch', '-D', 'attack');
    repo.ok('checkout', '-q', '-b', 'attack');
  });

  it('a nested stage folder with a restored old value fails --strict, named, with the copy and the name that differs', async () => {
    plantFolder('services/api/secrets');
    repo.commitAll('innocent-looking refactor');

    const strict = await review(['--strict']);
    expect(strict.code, strict.stdout).not.toBe(0);
    expect(strict.stdout).toContain('services/api/secrets/');
    expect(strict.stdout).toMatch(/SECRETS FOLDER ADDED: services\/api\/secrets\//);
    expect(strict.stderr).toContain('review --strict');

    const json = JSON.parse((await review(['--format', 'json'])).stdout) as ReviewJson;
    expect(json.folders.map((f) => [f.folder, f.presence])).toEqual([
      ['secrets', 'both'],
      ['services/api/secrets', 'added'],
    ]);
    const planted = json.stages.find((s) => s.folder === 'services/api/secrets')!;
    expect(planted).toMatchObject({ stage: 'prod', file: 'services/api/secrets/prod.json', presence: 'added' });
    expect(planted.copyOf).toEqual({ file: 'secrets/prod.json', differs: ['A'] });

    const markdown = (await review(['--format', 'markdown'])).stdout;
    expect(markdown).toContain('[!CAUTION]');
    expect(markdown).toMatch(/secrets folder added/i);
    expect(markdown).toContain('services/api/secrets');
  });

  it('the same review from the service folder (where the plugin would find the planted folder) still sees both', async () => {
    plantFolder('services/api/secrets');
    repo.commitAll('plant');
    const r = await review(['--format', 'json'], path.join(ws.dir, 'services/api'));
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as ReviewJson;
    expect(json.folders.map((f) => f.folder).sort()).toEqual(['secrets', 'services/api/secrets']);
  });

  it('a folder not named secrets, holding a stage header (a custom.stageSecrets.dir target), is found by its content', async () => {
    plantFolder('config/vault');
    repo.commitAll('plant under another name');
    const r = await review(['--strict']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('SECRETS FOLDER ADDED: config/vault/');
  });

  it('a moved secrets folder is a removed and an added folder, and fails --strict', async () => {
    repo.ok('mv', 'secrets', 'app-secrets');
    fs.mkdirSync(path.join(ws.dir, 'app'));
    repo.ok('mv', 'app-secrets', 'app/secrets');
    repo.commitAll('move');
    const r = await review(['--strict']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('SECRETS FOLDER ADDED: app/secrets/');
    expect(r.stdout).toContain('SECRETS FOLDER REMOVED: secrets/');
  });

  it('every file of a secrets folder that is no header or entry is listed (dot-files included) and fails --strict', async () => {
    fs.writeFileSync(
      path.join(ws.dir, 'secrets/.prod.rotating.json'),
      fs.readFileSync(path.join(ws.dir, 'secrets/prod.json')),
    );
    fs.writeFileSync(path.join(ws.dir, 'secrets/prod/notes.txt'), 'x');
    fs.mkdirSync(path.join(ws.dir, 'secrets/prod/deeper'));
    fs.writeFileSync(path.join(ws.dir, 'secrets/prod/deeper/C.json'), '{}');
    fs.mkdirSync(path.join(ws.dir, 'secrets/orphan'));
    fs.writeFileSync(path.join(ws.dir, 'secrets/orphan/D.json'), '{}');
    repo.commitAll('stray files');
    const json = JSON.parse((await review(['--format', 'json'])).stdout) as ReviewJson;
    const root = json.folders.find((f) => f.folder === 'secrets')!;
    expect(root.unexpected.map((u) => `${u.file} ${u.kind} ${u.new}`).sort()).toEqual([
      'secrets/.prod.rotating.json unexpected true',
      'secrets/orphan/D.json unexpected true',
      'secrets/prod/deeper/C.json unexpected true',
      'secrets/prod/notes.txt unexpected true',
    ]);
    const strict = await review(['--strict']);
    expect(strict.code).not.toBe(0);
    expect(strict.stdout).toContain('secrets/.prod.rotating.json');
  });

  it('check lists every secrets folder, its stages and the files it does not understand', async () => {
    plantFolder('services/api/secrets');
    fs.writeFileSync(path.join(ws.dir, 'services/api/secrets/.prod.rotating.json'), '{}');
    fs.appendFileSync(
      path.join(ws.dir, 'services/api/serverless.yml'),
      'custom:\n  stageSecrets:\n    required: [A, C]\n',
    );
    repo.commitAll('plant');
    const r = await ws.run(['check', '--format', 'json'], { env: repo.env });
    const report = JSON.parse(r.stdout) as {
      secretsDir: string;
      folders: Array<{ folder: string; stages: string[]; services: string[]; unexpected: Array<{ file: string }> }>;
    };
    expect(report.secretsDir).toBe('secrets');
    expect(report.folders.map((f) => [f.folder, f.stages, f.services])).toEqual([
      ['secrets', ['prod'], []],
      ['services/api/secrets', ['prod'], ['api']],
    ]);
    expect(report.folders[1]!.unexpected.map((u) => u.file)).toEqual(['services/api/secrets/.prod.rotating.json']);
    // the planted folder's service needs C, which that folder's prod lacks: the check fails on it
    expect(r.code).toBe(1);
    const text = await ws.run(['check'], { env: repo.env });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('also secrets folder services/api/secrets, stages prod; services: api');
    expect(text.stdout).toContain('missing: C in stage prod, needed by:');
    expect(text.stdout).toContain('services/api/secrets/.prod.rotating.json');
  });
});
