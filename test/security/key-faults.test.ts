import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliCopyForOtherUsers, makeWorkspace, startCli, type CliResult, type Workspace } from '../support/cli.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import {
  CANARY,
  expectNoCanary,
  expectNoCrash,
  leftovers,
  readStageText,
  secureWorkspace,
  type SecureWorkspace,
} from './support.js';

const stage = ['--stage', 'dev'];
/** Commands that need the stage key; each must fail the same way and leave the stage file alone. */
const KEYED: string[][] = [
  ['verify', ...stage],
  ['rotate', ...stage],
  ['rewrap', ...stage, '--local'],
  ['export', ...stage, '--format', 'dotenv'],
  ['run', ...stage, '--', process.execPath, '-e', 'console.log("child ran")'],
];

/** The reader that starts a build and the one that opens every value: enough once all five were seen. */
const SHORT = [KEYED[0]!, KEYED[4]!];

function expectRefused(
  results: CliResult[],
  code: number,
  message: RegExp,
  secretsOf: string[] = [],
  commands = KEYED,
): void {
  expect(results).toHaveLength(commands.length);
  results.forEach((r, i) => {
    const label = commands[i]![0]!;
    expectNoCrash(r, label);
    expect(r.code, `${label}: ${r.stderr}`).toBe(code);
    expect(r.stderr, label).toMatch(message);
    expect(r.stdout, `${label} printed something`).not.toMatch(/child ran|CANARY_TOKEN=/);
    expectNoCanary(r.stdout + r.stderr, label);
    for (const secret of secretsOf) expect(r.stdout + r.stderr, `${label} printed key material`).not.toContain(secret);
  });
}

describe('local key faults', () => {
  let ws: SecureWorkspace;
  let before: string;
  const other = { config: '' };

  beforeAll(async () => {
    ws = await secureWorkspace();
    before = readStageText(ws);
    const second = makeWorkspace();
    try {
      expect((await second.run(['init', ...stage])).code).toBe(0);
      other.config = path.join(ws.root, 'other-config');
      fs.cpSync(second.config, other.config, { recursive: true });
    } finally {
      second.cleanup();
    }
  });
  afterAll(() => ws.cleanup());

  /** Runs every keyed command with `env`, then checks the stage file and the secrets folder are as before. */
  async function keyed(env: NodeJS.ProcessEnv, commands = KEYED): Promise<CliResult[]> {
    const results = await Promise.all(commands.map((args) => ws.run(args, { env })));
    expect(readStageText(ws)).toBe(before);
    expect(leftovers(ws)).toEqual([]);
    return results;
  }

  it('no key at all: exit 3 from every command that needs it, naming the env var and the key file to provide', async () => {
    const results = await keyed({ XDG_CONFIG_HOME: path.join(ws.root, 'empty-config') });
    expectRefused(results, 3, /needs local key local:[0-9a-f]{16}, which is not here\. Set STAGE_SECRETS_KEY_DEV/);
  });

  it("a wrong key, in the env var or in the key file's place: exit 3, and the key is never printed", async () => {
    const otherKeyFile = fs.readdirSync(path.join(other.config, 'stage-secrets', 'keys'))[0]!;
    const otherKey = fs.readFileSync(path.join(other.config, 'stage-secrets', 'keys', otherKeyFile), 'utf8').trim();
    const viaEnv = await keyed({ XDG_CONFIG_HOME: other.config, STAGE_SECRETS_KEY_DEV: otherKey }, SHORT);
    expectRefused(
      viaEnv,
      3,
      /STAGE_SECRETS_KEY_DEV holds key local:[0-9a-f]{16}, not local:[0-9a-f]{16}/,
      [otherKey, otherKey.slice(20)],
      SHORT,
    );

    // the right file name with another key inside (a copy gone wrong)
    const swapped = path.join(ws.root, 'swapped-config');
    fs.mkdirSync(path.join(swapped, 'stage-secrets', 'keys'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(swapped, 'stage-secrets', 'keys', path.basename(ws.keyFile)), `${otherKey}\n`, {
      mode: 0o600,
    });
    const viaFile = await ws.run(['verify', ...stage], { env: { XDG_CONFIG_HOME: swapped } });
    expectRefused(
      [viaFile],
      3,
      /does not hold key local:[0-9a-f]{16}; it is damaged or was replaced/,
      [otherKey, otherKey.slice(20)],
      [KEYED[0]!],
    );
  });

  it('a CI variable that holds something else (here: a secret value pasted by mistake) is never echoed', async () => {
    const results = await keyed(
      { XDG_CONFIG_HOME: path.join(ws.root, 'empty-config'), STAGE_SECRETS_KEY_DEV: CANARY },
      SHORT,
    );
    expectRefused(results, 3, /STAGE_SECRETS_KEY_DEV is set but does not hold a stage-secrets key/, [], SHORT);
  });

  it('an unreadable key file: exit 3 naming the file and the error, not a crash', async () => {
    const unreadableConfig = path.join(ws.root, 'unreadable-config');
    fs.cpSync(ws.config, unreadableConfig, { recursive: true });
    const file = path.join(unreadableConfig, 'stage-secrets', 'keys', path.basename(ws.keyFile));
    fs.chmodSync(file, 0o000);
    let r: CliResult;
    if (process.getuid?.() === 0) {
      // root reads a mode-000 file anyway, so the check runs as an unprivileged user that owns the key
      // (as the key's owner would, after a bad chmod or a copy with the wrong owner).
      // That user runs a copy of the CLI in the workspace: the checkout's dist/ may be out of its reach.
      fs.chmodSync(ws.root, 0o755);
      for (const p of [unreadableConfig, path.join(unreadableConfig, 'stage-secrets'), path.dirname(file), file])
        fs.chownSync(p, 65534, 65534);
      const asOther = { cwd: ws.dir, uid: 65534, gid: 65534, cli: cliCopyForOtherUsers(path.join(ws.root, 'cli')) };
      const help = await startCli(['--help'], { ...asOther, env: ws.env }).done;
      expect(help.code, `the CLI copy does not run as uid 65534: ${help.stderr}`).toBe(0);
      r = await startCli(['verify', ...stage], { ...asOther, env: { ...ws.env, XDG_CONFIG_HOME: unreadableConfig } })
        .done;
    } else {
      r = await ws.run(['verify', ...stage], { env: { XDG_CONFIG_HOME: unreadableConfig } });
    }
    expectNoCrash(r, 'verify');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`cannot read key file ${file} (EACCES); check its owner and permissions`);
    expect(r.stderr).not.toMatch(/readable by other users/);
    expect(readStageText(ws)).toBe(before);
  });

  it('a key path that is a folder or a dangling symlink: exit 3, with no misleading permission warning', async () => {
    const asDir = path.join(ws.root, 'dir-config');
    fs.mkdirSync(path.join(asDir, 'stage-secrets', 'keys', path.basename(ws.keyFile)), { recursive: true });
    const asLink = path.join(ws.root, 'link-config');
    fs.mkdirSync(path.join(asLink, 'stage-secrets', 'keys'), { recursive: true, mode: 0o700 });
    fs.symlinkSync(
      path.join(ws.root, 'gone.key'),
      path.join(asLink, 'stage-secrets', 'keys', path.basename(ws.keyFile)),
    );
    const [dir, link] = await Promise.all(
      [asDir, asLink].map((config) => ws.run(['verify', ...stage], { env: { XDG_CONFIG_HOME: config } })),
    );
    expect(dir!.code).toBe(3);
    expect(dir!.stderr).toMatch(/cannot read key file .* \(EISDIR\)/);
    expect(link!.code).toBe(3);
    expect(link!.stderr).toMatch(/which is not here/);
    for (const r of [dir!, link!]) expect(r.stderr).not.toMatch(/readable by other users/);
    expect(readStageText(ws)).toBe(before);
  });

  it('a key file with loose permissions still works, with a warning that says how to fix it and no key', async () => {
    const loose = path.join(ws.root, 'loose-config');
    fs.cpSync(ws.config, loose, { recursive: true });
    const file = path.join(loose, 'stage-secrets', 'keys', path.basename(ws.keyFile));
    fs.chmodSync(file, 0o644);
    const r = await ws.run(['verify', ...stage], { env: { XDG_CONFIG_HOME: loose } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: key file ${file} is readable by other users (mode 644); run chmod 600 ${file}`,
    );
    expect(r.stdout + r.stderr).not.toContain(ws.key.slice(20));
  });

  it('a damaged key file (truncated) is exit 3, not an integrity error of the stage', async () => {
    const damaged = path.join(ws.root, 'damaged-config');
    fs.cpSync(ws.config, damaged, { recursive: true });
    const file = path.join(damaged, 'stage-secrets', 'keys', path.basename(ws.keyFile));
    fs.writeFileSync(file, ws.key.slice(0, 30));
    const r = await ws.run(['verify', ...stage], { env: { XDG_CONFIG_HOME: damaged } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/does not hold key local:[0-9a-f]{16}; it is damaged or was replaced/);
  });
});

describe('AWS KMS faults (local KMS server): the stage file is never changed, no value is printed', () => {
  let kms: KmsServer;
  let ws: Workspace;
  let before: string;

  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/sec' });
    ws = makeWorkspace('kms-app');
    const init = await ws.run(['init', ...stage, '--kms', 'alias/sec'], { env: kmsEnv(kms) });
    expect(init.code, init.stderr).toBe(0);
    expect((await ws.run(['set', ...stage, 'CANARY_TOKEN'], { input: CANARY })).code).toBe(0);
    expect((await ws.run(['set', ...stage, 'OTHER'], { input: `${CANARY}-2` })).code).toBe(0);
    expect((await ws.run(['approve', ...stage], { env: kmsEnv(kms) })).code).toBe(0); // the writers had no key
    before = readStageText(ws);
  });
  afterAll(async () => {
    ws.cleanup();
    await kms.close();
  });
  beforeEach(() => {
    kms.allowAll();
    kms.clearFaults();
    kms.resetCalls();
  });

  async function keyed(env: NodeJS.ProcessEnv, commands = KEYED): Promise<CliResult[]> {
    const results = await Promise.all(commands.map((args) => ws.run(args, { env })));
    expect(readStageText(ws)).toBe(before);
    expect(leftovers(ws)).toEqual([]);
    return results;
  }

  it('denied: exit 3 from every command that needs the key, naming kms:Decrypt', async () => {
    kms.deny('Decrypt');
    expectRefused(await keyed(kmsEnv(kms)), 3, /access denied to KMS key alias\/sec.*needs kms:Decrypt/);
  });

  it('rotate with Decrypt allowed but Encrypt denied: exit 3 and the old file stays', async () => {
    kms.deny('Encrypt');
    const [rotate] = await keyed(kmsEnv(kms), [['rotate', ...stage]]);
    expect(rotate!.code).toBe(3);
    expect(rotate!.stderr).toMatch(/needs kms:Encrypt/);
    expectNoCanary(rotate!.stdout + rotate!.stderr, 'rotate');
    expect(kms.calls('Decrypt')).toBe(1);
  });

  it('throttled, then answering: the build goes on (exit 0) and prints no value', async () => {
    kms.fail('throttle', { times: 2, operation: 'Decrypt' });
    const r = await ws.run(
      ['run', ...stage, '--', process.execPath, '-e', 'console.log(process.env.CANARY_TOKEN.length)'],
      { env: kmsEnv(kms) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(String(CANARY.length));
    expectNoCanary(r.stdout + r.stderr, 'run');
    expect(kms.calls('Decrypt')).toBe(3);
    expect(readStageText(ws)).toBe(before);
  });

  it('down (nothing listening) or not answering: exit 3 after bounded retries, saying what to check', async () => {
    const down = await startKmsServer();
    const downUrl = down.url;
    await down.close();
    const [refused] = await keyed(
      { ...kmsEnv(kms), AWS_ENDPOINT_URL_KMS: downUrl, STAGE_SECRETS_KMS_MAX_ATTEMPTS: '2' },
      [['verify', ...stage]],
    );
    expect(refused!.code).toBe(3);
    expect(refused!.stderr).toMatch(
      /did not complete Decrypt for key alias\/sec.* after 2 attempts \(last: ECONNREFUSED/,
    );
    expectNoCanary(refused!.stdout + refused!.stderr, 'verify');

    kms.fail('hang');
    const [hung] = await keyed(
      { ...kmsEnv(kms), STAGE_SECRETS_KMS_MAX_ATTEMPTS: '1', STAGE_SECRETS_KMS_TIMEOUT_MS: '300' },
      [['export', ...stage, '--format', 'json']],
    );
    expect(hung!.code).toBe(3);
    expect(hung!.stderr).toMatch(/after 1 attempt \(last: (ETIMEDOUT|no answer within)/);
    expectNoCanary(hung!.stdout + hung!.stderr, 'export');
  });

  it('a wrapped key that KMS refuses to unwrap for this app (copied KMS identity) is an integrity failure, exit 2', async () => {
    const other = makeWorkspace('kms-other');
    try {
      expect((await other.run(['init', ...stage, '--kms', 'alias/sec'], { env: kmsEnv(kms) })).code).toBe(0);
      const file = JSON.parse(before);
      const donor = JSON.parse(readStageText(other));
      file.identities = donor.identities;
      file.publicKey = donor.publicKey;
      ws.writeStage('dev', file);
      const r = await ws.run(['verify', ...stage], { env: kmsEnv(kms) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/KMS refused to unwrap the stage key.*InvalidCiphertextException/);
      expectNoCanary(r.stdout + r.stderr, 'verify');
    } finally {
      ws.restore('dev', before);
      other.cleanup();
    }
  });
});
