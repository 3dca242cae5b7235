/**
 * `list` without --stage, run as the CLI process: every stage of the app found (from a subfolder too),
 * with its counts, read without any key; a damaged stage is listed and fails the command (exit 2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

describe('list without --stage: every stage of the app', () => {
  let ws: Workspace;
  let keyless: NodeJS.ProcessEnv;
  const ok = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const r = await ws.run(args, { env });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };

  beforeAll(async () => {
    ws = makeWorkspace('list-stages');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    for (const stage of ['dev', 'prod', 'staging']) await ok(['init', '--stage', stage, '--app', 'shop']);
    await ok(['set', '--stage', 'dev', 'API_TOKEN', 'a']);
    await ok(['set', '--stage', 'dev', 'RATE', '3', '--type', 'number']);
    await ok(['set', '--stage', 'prod', 'API_TOKEN', 'p']);
    // a writer without any key adds a name: pending
    keyless = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'no-keys') };
    await ok(['set', '--stage', 'prod', 'WEBHOOK', 'w'], keyless);
  });
  afterAll(() => ws?.cleanup());

  it('prints one row per stage with its counts, without any key', async () => {
    const r = await ok(['list'], keyless);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STAGE\s+SECRETS\s+PENDING\s+UPDATED\s+APP$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual([
      ['dev', '2', '0', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'shop'],
      ['prod', '2', '1', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'shop'],
      ['staging', '0', '0', '-', 'shop'],
    ]);
    expect(r.stderr).toContain('stages in secrets');
    expect(r.stderr).toContain('npx --no-install stage-secrets list --stage S');
  });

  it('gives the same as JSON, and from a subfolder of the app', async () => {
    const sub = path.join(ws.dir, 'services', 'api');
    fs.mkdirSync(sub, { recursive: true });
    const r = await ws.run(['list', '--json'], { cwd: sub, env: keyless });
    expect(r.code, r.stderr).toBe(0);
    const stages = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(stages.map(({ updated, ...rest }) => rest)).toEqual([
      { stage: 'dev', app: 'shop', file: path.join('..', '..', 'secrets', 'dev.json'), secrets: 2, pending: 0 },
      { stage: 'prod', app: 'shop', file: path.join('..', '..', 'secrets', 'prod.json'), secrets: 2, pending: 1 },
      { stage: 'staging', app: 'shop', file: path.join('..', '..', 'secrets', 'staging.json'), secrets: 0, pending: 0 },
    ]);
    expect(stages.find((s) => s.stage === 'staging')?.updated).toBeUndefined();
  });

  it('refuses stages of another app with --app, and lists a damaged stage with its problem (exit 2)', async () => {
    const other = await ws.run(['list', '--app', 'blog']);
    expect(other.code).toBe(2);
    expect(other.stdout).toMatch(/^dev\s+-\s+-\s+-\s+\(cannot be read: see below\)$/m);
    expect(other.stderr).toMatch(/stage dev \(secrets\/dev\.json\): .*shop/);
    const header = ws.stageFile('staging');
    const saved = fs.readFileSync(header, 'utf8');
    fs.writeFileSync(header, '{ not json');
    try {
      const r = await ws.run(['list']);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/^dev\s+2\s+0\s/m);
      expect(r.stdout).toMatch(/^staging\s+-\s+-\s+-\s+\(cannot be read: see below\)$/m);
      expect(r.stderr).toMatch(/stage staging \(secrets\/staging\.json\): /);
    } finally {
      fs.writeFileSync(header, saved);
    }
  });

  it('says where to start when there is no stage', async () => {
    const empty = path.join(ws.dir, '..', 'empty');
    fs.mkdirSync(path.join(empty, '.git'), { recursive: true });
    const r = await ws.run(['list'], { cwd: empty });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no secrets\/ folder with a stage file.*npx --no-install stage-secrets init --stage dev/);
  });
});
