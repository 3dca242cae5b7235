import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';
import { writeV2Stage } from '../support/stage-files.js';
import { COMMANDS as REGISTRY } from '../../src/cli/registry.js';

// every command of the registry: a new command is in these tests by its registry line
const COMMANDS = Object.keys(REGISTRY);

describe('CLI: help', () => {
  let ws: Workspace;
  beforeAll(() => (ws = makeWorkspace()));
  afterAll(() => ws.cleanup());

  it('lists every command and exits 0 with --help', async () => {
    const r = await ws.run(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c} `);
  });

  it('gives --help for every command', async () => {
    const results = await Promise.all(COMMANDS.map((c) => ws.run([c, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, COMMANDS[i]).toBe(0);
      expect(r.stdout, COMMANDS[i]).toMatch(new RegExp(`Usage: stage-secrets ${COMMANDS[i]} `));
    });
  });

  it('rejects an unknown command and an unknown flag with exit 1', async () => {
    const a = await ws.run(['frobnicate']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/unknown command "frobnicate"/);
    const b = await ws.run(['list', '--stage', 'dev', '--bogus']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/--bogus.*stage-secrets list --help/);
  });

  it('suggests the command a typo meant', async () => {
    const r = await ws.run(['lsit', '--stage', 'dev']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown command "lsit"; did you mean "list"?');
    expect((await ws.run(['aprove'])).stderr).toContain('did you mean "approve"?');
    expect((await ws.run(['zzzzzz'])).stderr).not.toContain('did you mean');
  });

  it('prints the version for --version, -V, -v and version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V', '-v', 'version']) {
      const r = await ws.run([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout, flag).toBe(`${version}\n`);
    }
  });

  it('with no arguments prints usage to stderr and exits 1', async () => {
    const r = await ws.run([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: stage-secrets <command>');
  });

  it('takes options before the command', async () => {
    const init = await ws.run(['--stage', 'early', 'init']);
    expect(init.code, init.stderr).toBe(0);
    const list = await ws.run(['--stage=early', '--dir', 'secrets', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
    const help = await ws.run(['--stage', 'early', 'list', '--help']);
    expect(help.stdout).toContain('Usage: stage-secrets list');
  });
});

describe('CLI: a stage from init to verify', () => {
  let ws: Workspace;
  let key: string;
  const stage = ['--stage', 'dev'];

  beforeAll(async () => {
    ws = makeWorkspace('shop-api');
    fs.writeFileSync(path.join(ws.dir, 'serverless.yml'), 'service: shop-api\nprovider:\n  name: aws\n');
    const r = await ws.run(['init', ...stage]);
    expect(r.code, r.stderr).toBe(0);
    key = readOnlyLocalKey(ws);
  });
  afterAll(() => ws.cleanup());

  it('init creates the stage file for the serverless.yml service and a 0600 key file, and tells how to hand it to CI', async () => {
    const file = ws.readStage('dev');
    expect(file).toMatchObject({ version: 3, app: 'shop-api', stage: 'dev', secrets: {} });
    expect(file.identities).toHaveLength(1);
    const keyDir = path.join(ws.config, 'stage-secrets', 'keys');
    const [keyFile] = fs.readdirSync(keyDir);
    expect(fs.statSync(path.join(keyDir, keyFile!)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(keyDir).mode & 0o777).toBe(0o700);
    expect(keyFile).toBe(`${file.identities[0].fingerprint}.key`);
  });

  it('init does not overwrite an existing stage', async () => {
    const before = ws.snapshot('dev');
    const r = await ws.run(['init', ...stage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists.*rotate.*rewrap/);
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('set takes a value from the argument, stdin and --from-file, with types', async () => {
    expect((await ws.run(['set', ...stage, 'API_KEY', 'sk-live-123'])).code).toBe(0);
    expect((await ws.run(['set', ...stage, 'DB_PASSWORD'], { input: 'pa$$ "word"\n' })).code).toBe(0);
    fs.writeFileSync(path.join(ws.dir, 'cert.pem'), '-----BEGIN-----\nabc\n-----END-----\n');
    expect((await ws.run(['set', ...stage, 'CERT', '--from-file', 'cert.pem'])).code).toBe(0);
    expect((await ws.run(['set', ...stage, 'PORT', '8080', '--type', 'number'])).code).toBe(0);
    expect((await ws.run(['set', ...stage, 'FLAGS', '{ "beta": true }', '-t', 'json'])).code).toBe(0);
  });

  it('list shows names, types and dates but never values', async () => {
    const r = await ws.run(['list', ...stage]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+TYPE\s+UPDATED/);
    for (const name of ['API_KEY', 'CERT', 'DB_PASSWORD', 'FLAGS', 'PORT']) expect(r.stdout).toContain(name);
    for (const value of ['sk-live-123', 'pa$$', 'BEGIN', '8080', 'beta'])
      expect(r.stdout + r.stderr).not.toContain(value);
    const j = await ws.run(['list', ...stage, '--json']);
    const rows = JSON.parse(j.stdout) as Array<{ name: string; type: string; updated: string }>;
    expect(rows.map((x) => `${x.name}:${x.type}`)).toEqual([
      'API_KEY:string',
      'CERT:string',
      'DB_PASSWORD:string',
      'FLAGS:json',
      'PORT:number',
    ]);
    expect(ws.snapshot('dev')).not.toContain('sk-live-123');
  });

  it('verify opens every secret with the local key and names the identity', async () => {
    const r = await ws.run(['verify', ...stage]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/opened with local:[0-9a-f]{16}; 5 of 5 secrets OK/);
  });

  it('a writer without the key can set and list, but not verify (exit 3, with what to do)', async () => {
    const writerEnv = { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'writer-config') };
    const set = await ws.run(['set', ...stage, 'WRITER_ADDED', 'from-a-writer'], { env: writerEnv });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('pending approval: WRITER_ADDED (no key of stage dev here)');
    expect(set.stderr).toContain('stage-secrets approve --stage dev WRITER_ADDED');
    const list = await ws.run(['list', ...stage], { env: writerEnv });
    expect(list.stdout).toMatch(/^WRITER_ADDED\s+string\s+\S+\s+PENDING$/m);
    expect(list.stdout).toMatch(/^API_KEY\s+string\s+\S+\s+tagged \(unverified\)$/m);
    const verify = await ws.run(['verify', ...stage], { env: writerEnv });
    expect(verify.code).toBe(3);
    expect(verify.stderr).toMatch(/STAGE_SECRETS_KEY_DEV/);
    expect(verify.stderr).not.toContain('from-a-writer');
  });

  it('CI opens the stage with STAGE_SECRETS_KEY_<STAGE> and no key file', async () => {
    const ciEnv = { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'ci-config'), STAGE_SECRETS_KEY_DEV: key };
    const r = await ws.run(['verify', ...stage], { env: ciEnv });
    // every value opens, but the writer's new name waits for a key holder: exit 2 until approved
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('6 of 6 secrets OK');
    expect(r.stdout).toContain('pending approval: WRITER_ADDED;');
  });

  it('a wrong key is refused with exit 3 and names the key it needs', async () => {
    const other = makeWorkspace();
    try {
      await other.run(['init', '--stage', 'dev']);
      const wrong = readOnlyLocalKey(other);
      const r = await ws.run(['verify', ...stage], {
        env: { XDG_CONFIG_HOME: other.config, STAGE_SECRETS_KEY_DEV: wrong },
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/STAGE_SECRETS_KEY_DEV holds key local:[0-9a-f]+, not local:[0-9a-f]+/);
      expect(r.stderr).not.toContain(wrong);
    } finally {
      other.cleanup();
    }
  });

  it('rm removes a secret; an unknown name is exit 1 and changes nothing', async () => {
    expect((await ws.run(['rm', ...stage, 'WRITER_ADDED'])).code).toBe(0);
    const before = ws.snapshot('dev');
    const r = await ws.run(['rm', ...stage, 'NOPE']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no secret named NOPE/);
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('import adds a dotenv file in one write and leaves untouched entries byte for byte', async () => {
    const entries = path.join(ws.dir, 'secrets', 'dev');
    const before = new Map(fs.readdirSync(entries).map((n) => [n, fs.statSync(path.join(entries, n)).mtimeMs]));
    const apiEntry = fs.readFileSync(path.join(entries, 'API_KEY.json'), 'utf8');
    const header = fs.readFileSync(ws.stageFile('dev'), 'utf8');
    fs.writeFileSync(
      path.join(ws.dir, 'extra.env'),
      'SMTP_USER=mailer\nSMTP_PASS="multi\nline"\n# comment\nEMPTYISH=x\n',
    );
    const r = await ws.run(['import', ...stage, 'extra.env']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/imported 3 secrets/);
    // only the three new entry files were written: the header and every other entry kept their bytes and times
    expect(fs.readFileSync(path.join(entries, 'API_KEY.json'), 'utf8')).toBe(apiEntry);
    expect(fs.readFileSync(ws.stageFile('dev'), 'utf8')).toBe(header);
    for (const [name, mtime] of before) expect(fs.statSync(path.join(entries, name)).mtimeMs, name).toBe(mtime);
    expect(
      fs
        .readdirSync(entries)
        .filter((n) => !before.has(n))
        .sort(),
    ).toEqual(['EMPTYISH.json', 'SMTP_PASS.json', 'SMTP_USER.json']);
    const v = await ws.run(['verify', ...stage]);
    expect(v.stdout).toContain('8 of 8 secrets OK');
  });

  it('import reports every bad entry at once with its line, warns about duplicate keys, and counts in words', async () => {
    const before = ws.snapshot('dev');
    fs.writeFileSync(
      path.join(ws.dir, 'many-bad.env'),
      [
        'OK_ONE=fine',
        'AWS_REGION=eu-west-1',
        'EMPTY_ONE=',
        '# a comment',
        'PATH=/tmp/evil-bin',
        `LONG_ONE=${'x'.repeat(10_001)}`,
      ].join('\n'),
    );
    const r = await ws.run(['import', ...stage, 'many-bad.env']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('many-bad.env has 4 entries that cannot be imported; nothing was imported');
    expect(r.stderr).toMatch(/- line 2: AWS_REGION is reserved by AWS Lambda/);
    expect(r.stderr).toMatch(/- line 3: value of EMPTY_ONE is empty/);
    expect(r.stderr).toMatch(/- line 5: PATH would change how the build runs/);
    expect(r.stderr).toMatch(/- line 6: value of LONG_ONE has 10001 characters/);
    expect(r.stderr).not.toContain('eu-west-1');
    expect(r.stderr).not.toContain('evil-bin');
    expect(ws.snapshot('dev')).toBe(before);

    fs.writeFileSync(path.join(ws.dir, 'dup.env'), 'DUP_KEY=first-value\nOTHER_ONE=x\nDUP_KEY=second-value\n');
    const dup = await ws.run(['import', ...stage, 'dup.env']);
    expect(dup.code, dup.stderr).toBe(0);
    expect(dup.stderr).toContain('DUP_KEY is set on lines 1 and 3; the last one (line 3) was imported');
    expect(dup.stderr).not.toContain('first-value');
    expect(dup.stderr).toContain('imported 2 secrets');
    fs.writeFileSync(path.join(ws.dir, 'one.env'), 'JUST_ONE=x\n');
    expect((await ws.run(['import', ...stage, 'one.env'])).stderr).toContain(
      'imported 1 secret into stage dev (1 added, 0 replaced)',
    );
    expect((await ws.run(['rm', ...stage, 'DUP_KEY', 'OTHER_ONE', 'JUST_ONE'])).code).toBe(0);
  });

  it('import with one bad name writes nothing', async () => {
    const before = ws.snapshot('dev');
    fs.writeFileSync(path.join(ws.dir, 'bad.env'), 'GOOD_ONE=1\nLD_PRELOAD=/tmp/evil.so\n');
    const r = await ws.run(['import', ...stage, 'bad.env']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LD_PRELOAD/);
    expect(r.stderr).not.toContain('evil');
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('rotate makes a new keypair, keeps every value readable and the CI key valid', async () => {
    const before = ws.readStage('dev');
    const r = await ws.run(['rotate', ...stage]);
    expect(r.code, r.stderr).toBe(0);
    const after = ws.readStage('dev');
    expect(after.publicKey).not.toBe(before.publicKey);
    expect(after.secrets.API_KEY.ct).not.toBe(before.secrets.API_KEY.ct);
    expect(after.secrets.API_KEY.updated).toBe(before.secrets.API_KEY.updated);
    const v = await ws.run(['verify', ...stage], {
      env: { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'ci2'), STAGE_SECRETS_KEY_DEV: key },
    });
    expect(v.stdout).toContain('8 of 8 secrets OK');
  });

  it('rewrap adds a second local identity and removes the first; values untouched', async () => {
    const before = ws.readStage('dev');
    const firstId = before.identities[0].id as string;
    const add = await ws.run(['rewrap', ...stage, '--local']);
    expect(add.code, add.stderr).toBe(0);
    const rm = await ws.run(['rewrap', ...stage, '--remove', firstId]);
    expect(rm.code, rm.stderr).toBe(0);
    const after = ws.readStage('dev');
    expect(after.identities).toHaveLength(1);
    expect(after.identities[0].id).not.toBe(firstId);
    expect(after.secrets).toEqual(before.secrets);
    expect(after.publicKey).toBe(before.publicKey);
    const v = await ws.run(['verify', ...stage]);
    expect(v.stdout).toContain(`opened with ${after.identities[0].id}`);
    const last = await ws.run(['rewrap', ...stage, '--remove', after.identities[0].id]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last identity/);
  });

  it('refuses a stage file of another app (exit 1, with the --app to pass)', async () => {
    const r = await ws.run(['list', ...stage, '--app', 'other-app']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/belongs to app "shop-api".*--app shop-api/);
  });
});

describe('CLI: concurrent writers', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace();
    await ws.run(['init', '--stage', 'dev']);
  });
  afterAll(() => ws.cleanup());

  it('ten parallel set processes all land', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `PAR_${i}`);
    const results = await Promise.all(names.map((n) => ws.run(['set', '--stage', 'dev', n, `value-${n}`])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse((await ws.run(['list', '--stage', 'dev', '--json'])).stdout) as Array<{ name: string }>;
    expect(list.map((x) => x.name)).toEqual([...names].sort());
    const v = await ws.run(['verify', '--stage', 'dev']);
    expect(v.stdout).toContain('10 of 10 secrets OK');
  });
});

describe('CLI: verify tells when values were sealed one by one', () => {
  let ws: Workspace;
  const stage = ['--stage', 'dev'];

  beforeAll(async () => {
    ws = makeWorkspace('many-sets');
    expect((await ws.run(['init', ...stage])).code).toBe(0);
    // 120 single `set`s, done in-process through the core (the same file 120 CLI processes would leave)
    const { setSecrets } = await import('../../src/stages/secrets.js');
    const opts = { stage: 'dev', app: 'many-sets', cwd: ws.dir, env: ws.env };
    for (let i = 0; i < 120; i++)
      await setSecrets(opts, [{ name: `KEY_${i}`, type: 'string', value: `value-${i}-xxxx` }]);
  });
  afterAll(() => ws.cleanup());

  it('counts the ephemeral keys and suggests rotate; after rotate there is one and no note', async () => {
    const before = await ws.run(['verify', ...stage]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain('120 of 120 secrets OK');
    expect(before.stdout).toMatch(/sealed under 120 ephemeral keys .*stage-secrets rotate --stage dev/);
    expect(JSON.parse((await ws.run(['verify', ...stage, '--json'])).stdout)).toMatchObject({
      ephemeralKeys: 120,
      failed: [],
    });

    expect((await ws.run(['rotate', ...stage])).code).toBe(0);
    const after = await ws.run(['verify', ...stage]);
    expect(after.stdout).toContain('120 of 120 secrets OK');
    expect(after.stdout).not.toContain('ephemeral keys');
    expect(JSON.parse((await ws.run(['verify', ...stage, '--json'])).stdout)).toMatchObject({ ephemeralKeys: 1 });
  });
});

describe('CLI: run --help', () => {
  it('says where the key comes from: the CI variable, the key file, KMS', async () => {
    const ws = makeWorkspace();
    try {
      const r = await ws.run(['run', '--help']);
      expect(r.stdout).toContain('STAGE_SECRETS_KEY_<S>');
      expect(r.stdout).toContain('~/.config/stage-secrets/keys/<fingerprint>.key');
      expect(r.stdout).toContain('kms:Decrypt');
      expect(r.stdout).toContain('::add-mask::');
    } finally {
      ws.cleanup();
    }
  });
});

describe('CLI: upgrade of a stage in a folder given with --dir', () => {
  it('names the header and the entry folder where they are, not a secrets/ that is not there', async () => {
    const ws = makeWorkspace();
    try {
      const dir = ['--dir', 'config/stage-secrets'];
      expect((await ws.run(['init', '--stage', 'dev', ...dir])).code).toBe(0);
      expect((await ws.run(['set', '--stage', 'dev', ...dir, 'API_KEY', 'v1'])).code).toBe(0);
      writeV2Stage(path.join(ws.dir, 'config', 'stage-secrets'), 'dev');
      const up = await ws.run(['upgrade', '--stage', 'dev', ...dir]);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain(
        'upgraded stage dev from format version 2 to 3: 1 secret file(s) in config/stage-secrets/dev/, values and ' +
          'approvals unchanged. Commit config/stage-secrets/dev.json and config/stage-secrets/dev/.',
      );
      expect(fs.existsSync(path.join(ws.dir, 'config', 'stage-secrets', 'dev', 'API_KEY.json'))).toBe(true);
      expect(fs.existsSync(path.join(ws.dir, 'secrets'))).toBe(false);
    } finally {
      ws.cleanup();
    }
  });
});
