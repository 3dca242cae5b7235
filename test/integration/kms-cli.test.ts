import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyWorkspace, makeWorkspace, REPO_ROOT, type CliResult, type Workspace } from '../support/cli.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';

// The built CLI as a process, with the real SDK talking HTTP to the local KMS server.
let kms: KmsServer;
const workspaces: Workspace[] = [];
const stderrs: string[] = [];

beforeAll(async () => {
  kms = await startKmsServer();
  kms.createKey({ alias: 'alias/ci' });
  kms.createKey({ alias: 'alias/second' });
});

afterAll(async () => {
  await kms.close();
  for (const ws of workspaces) ws.cleanup();
});

beforeEach(() => {
  kms.allowAll();
  kms.clearFaults();
  kms.resetCalls();
});

function workspace(app = 'demo-app'): Workspace {
  const ws = makeWorkspace(app);
  workspaces.push(ws);
  return ws;
}

/** Runs the CLI with AWS settings for the local server (or none at all with aws: false). */
async function cli(
  ws: Workspace,
  args: string[],
  extra: { env?: NodeJS.ProcessEnv; input?: string; aws?: boolean } = {},
): Promise<CliResult> {
  const env = extra.aws === false ? { ...extra.env } : kmsEnv(kms, extra.env);
  const result = await ws.run(args, { env, input: extra.input });
  stderrs.push(result.stderr);
  return result;
}

async function kmsStage(
  ws: Workspace,
  stage = 'dev',
  secrets: Record<string, string> = { API_TOKEN: 'tok-123', DB_PASS: 'hunter2' },
) {
  const init = await cli(ws, ['init', '--stage', stage, '--kms', 'alias/ci']);
  expect(init.stderr).toContain('aws-kms:alias/ci');
  expect(init.code).toBe(0);
  for (const [name, value] of Object.entries(secrets)) {
    expect((await cli(ws, ['set', '--stage', stage, name], { input: value, aws: false })).code).toBe(0);
  }
  // the writers had no key: a key holder approves their names
  expect((await cli(ws, ['approve', '--stage', stage])).code).toBe(0);
  kms.resetCalls();
}

let prepared: Workspace | undefined;
/**
 * A workspace holding kmsStage's default stage: made through the CLI by the first test that asks for it,
 * a copy of that for each test after it (the key it wraps to lives in this file's KMS server).
 */
async function kmsWorkspace(): Promise<Workspace> {
  if (!prepared) {
    prepared = workspace();
    await kmsStage(prepared);
  }
  const ws = copyWorkspace(prepared);
  workspaces.push(ws);
  return ws;
}

describe('stage-secrets with an aws-kms identity (CLI)', () => {
  it('inits with --kms, takes secrets from writers without AWS access, and verify opens with one Decrypt', async () => {
    const ws = workspace();
    const init = await cli(ws, ['init', '--stage', 'dev', '--kms', 'alias/ci']);
    expect(init.code).toBe(0);
    expect(kms.calls('Encrypt')).toBe(1);
    expect(kms.requests[0]?.encryptionContext).toEqual({ app: 'demo-app', stage: 'dev' });
    const file = ws.readStage('dev') as {
      identities: Array<Record<string, string>>;
    };
    expect(file.identities).toHaveLength(1);
    expect(file.identities[0]).toMatchObject({ type: 'aws-kms', id: 'aws-kms:alias/ci', keyId: 'alias/ci' });

    // Writers: no AWS settings at all, and KMS sees nothing.
    kms.resetCalls();
    const names = Array.from({ length: 20 }, (_, i) => `KEY_${i}`);
    for (const name of names.slice(0, 3)) {
      expect((await cli(ws, ['set', '--stage', 'dev', name], { input: `v-${name}`, aws: false })).code).toBe(0);
    }
    const dotenv = names
      .slice(3)
      .map((n) => `${n}=v-${n}`)
      .join('\n');
    fs.writeFileSync(path.join(ws.dir, 'more.env'), `${dotenv}\n`);
    const imported = await cli(ws, ['import', '--stage', 'dev', 'more.env'], { aws: false });
    expect(imported.code).toBe(0);
    expect(kms.calls()).toBe(0);

    // Every value opens, but the writers' names wait for a key holder.
    const verify = await cli(ws, ['verify', '--stage', 'dev']);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toContain('opened with aws-kms:alias/ci; 20 of 20 secrets OK');
    expect(verify.stdout).toContain(`pending approval: ${[...names].sort().join(', ')};`);
    expect(kms.calls('Decrypt')).toBe(1);
    expect(kms.calls()).toBe(1);
    expect(verify.stdout + verify.stderr).not.toContain('v-KEY_');

    const approve = await cli(ws, ['approve', '--stage', 'dev']);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stderr).toMatch(/pending in stage dev:\n {2}KEY_0 {2}\(string, set \d{4}-/);
    expect(approve.stderr).toContain(`approved ${[...names].sort().join(', ')}`);
    const again = await cli(ws, ['verify', '--stage', 'dev']);
    expect(again.code, again.stdout).toBe(0);
    expect(kms.calls('Decrypt')).toBe(3);
  });

  it('exits 3 naming the key and kms:Decrypt when access is denied', async () => {
    const ws = await kmsWorkspace();
    kms.deny('Decrypt');
    const verify = await cli(ws, ['verify', '--stage', 'dev']);
    expect(verify.code).toBe(3);
    expect(verify.stderr).toContain('access denied to KMS key alias/ci');
    expect(verify.stderr).toContain('needs kms:Decrypt');
    expect(verify.stderr).toContain('encryption context app=demo-app, stage=dev');
    const ciphertext = (ws.readStage('dev') as { identities: Array<{ ciphertext: string }> }).identities[0]!.ciphertext;
    for (const forbidden of ['tok-123', 'hunter2', ciphertext])
      expect(verify.stdout + verify.stderr).not.toContain(forbidden);
  });

  it('exits 3 with the access-denied message when KMS answers 403 with a body that is not KMS JSON', async () => {
    const ws = await kmsWorkspace();
    kms.fail('forbidden-text', { operation: 'Decrypt' });
    const verify = await cli(ws, ['verify', '--stage', 'dev']);
    expect(verify.code, verify.stderr).toBe(3);
    expect(verify.stderr).toContain('access denied to KMS key alias/ci');
    expect(verify.stderr).toContain('needs kms:Decrypt');
    expect(verify.stderr).not.toContain('SyntaxError');
    kms.clearFaults();
    kms.fail('forbidden-text', { operation: 'Encrypt' });
    const rewrap = await cli(ws, ['rewrap', '--stage', 'dev', '--kms', 'alias/second']);
    expect(rewrap.code, rewrap.stderr).toBe(3);
    expect(rewrap.stderr).toContain('access denied to KMS key alias/second');
    expect(rewrap.stderr).toContain('needs kms:Encrypt');
  });

  it('an identity given by alias: verify and list show the key it is pinned to; rewrap --kms adds the key the alias names now', async () => {
    kms.createKey({ alias: 'alias/moving' });
    const ws = workspace();
    const init = await cli(ws, ['init', '--stage', 'dev', '--kms', 'alias/moving']);
    expect(init.code, init.stderr).toBe(0);
    expect((await cli(ws, ['set', '--stage', 'dev', 'API_TOKEN', 'tok'])).code).toBe(0);
    const first = (ws.readStage('dev') as { identities: Array<Record<string, string>> }).identities[0]!.keyArn!;
    const verify = await cli(ws, ['verify', '--stage', 'dev']);
    expect(verify.stdout).toContain(`AWS KMS key alias/moving (${kms.region}, pinned to ${first})`);
    const list = await cli(ws, ['list', '--stage', 'dev']);
    expect(list.stderr).toContain(`pinned to ${first}`);
    // the alias is moved to a new key (aws kms update-alias): the stage still opens with the old one
    const next = kms.createKey();
    kms.updateAlias('alias/moving', next.keyId);
    kms.resetCalls();
    expect((await cli(ws, ['verify', '--stage', 'dev'])).code).toBe(0);
    expect(kms.requests.find((r) => r.operation === 'Decrypt')?.keyId).toBe(first);
    const rewrap = await cli(ws, ['rewrap', '--stage', 'dev', '--kms', 'alias/moving']);
    expect(rewrap.code, rewrap.stderr).toBe(0);
    expect(rewrap.stderr).toContain(
      `alias/moving names key ${next.arn} now, but identity aws-kms:alias/moving is pinned to ${first}`,
    );
    expect(rewrap.stderr).toContain(`rewrap --stage dev --remove aws-kms:alias/moving`);
    const ids = (ws.readStage('dev') as { identities: Array<Record<string, string>> }).identities.map((r) => r.id);
    expect(ids).toEqual(['aws-kms:alias/moving', `aws-kms:${next.arn}`]);
    // the old key goes; the stage opens with the new one
    expect((await cli(ws, ['rewrap', '--stage', 'dev', '--remove', 'aws-kms:alias/moving'])).code).toBe(0);
    kms.resetCalls();
    const after = await cli(ws, ['verify', '--stage', 'dev']);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain(`opened with aws-kms:${next.arn}`);
    // the same alias again, still naming that key: a duplicate, refused
    const twice = await cli(ws, ['rewrap', '--stage', 'dev', '--kms', next.arn]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`already has identity aws-kms:${next.arn}`);
  });

  it('exits 2 for a stage file copied from another stage or another app', async () => {
    const ws = await kmsWorkspace();
    const devText = ws.snapshot('dev');

    ws.restore('prod', devText.replace('"stage": "dev"', '"stage": "prod"'));
    const prod = await cli(ws, ['verify', '--stage', 'prod']);
    expect(prod.code).toBe(2);
    expect(prod.stderr).toContain('copied from another app or stage');

    const other = workspace('other-app');
    fs.mkdirSync(path.dirname(other.stageFile('dev')), { recursive: true });
    other.restore('dev', devText.replace('"app": "demo-app"', '"app": "other-app"'));
    const copied = await cli(other, ['verify', '--stage', 'dev']);
    expect(copied.code).toBe(2);
    expect(copied.stderr).toContain('InvalidCiphertextException');
    expect(kms.calls('Decrypt')).toBe(2);
  });

  it('retries throttling until it succeeds, and gives up on 500s and dropped connections after the set attempts', async () => {
    const ws = await kmsWorkspace();
    kms.fail('throttle', { times: 2, operation: 'Decrypt' });
    const throttled = await cli(ws, ['verify', '--stage', 'dev']);
    expect(throttled.code).toBe(0);
    expect(kms.calls('Decrypt')).toBe(3);

    for (const fault of ['error500', 'drop'] as const) {
      kms.clearFaults();
      kms.resetCalls();
      kms.fail(fault);
      const failed = await cli(ws, ['verify', '--stage', 'dev'], { env: { STAGE_SECRETS_KMS_MAX_ATTEMPTS: '4' } });
      expect(failed.code).toBe(3);
      expect(failed.stderr).toContain('did not complete Decrypt for key alias/ci');
      expect(failed.stderr).toContain('after 4 attempts');
      expect(kms.calls('Decrypt')).toBe(4);
    }
  });

  it('rotates and rewraps (--kms, --local, --remove), then falls back to the local key when KMS refuses', async () => {
    const ws = await kmsWorkspace();
    const read = () =>
      ws.readStage('dev') as {
        publicKey: string;
        identities: Array<Record<string, string>>;
      };
    const before = read();

    const rotate = await cli(ws, ['rotate', '--stage', 'dev']);
    expect(rotate.code).toBe(0);
    expect(rotate.stderr).toContain('2 secrets re-sealed');
    expect(read().publicKey).not.toBe(before.publicKey);
    expect([kms.calls('Decrypt'), kms.calls('Encrypt')]).toEqual([1, 1]);

    expect((await cli(ws, ['rewrap', '--stage', 'dev', '--kms', 'alias/second', '--region', kms.region])).code).toBe(0);
    const local = await cli(ws, ['rewrap', '--stage', 'dev', '--local']);
    expect(local.code).toBe(0);
    const removed = await cli(ws, ['rewrap', '--stage', 'dev', '--remove', 'aws-kms:alias/ci']);
    expect(removed.code).toBe(0);
    const ids = read().identities.map((r) => r.id);
    expect(ids).toEqual([`aws-kms:alias/second@${kms.region}`, expect.stringMatching(/^local:/)]);
    expect(read().identities[0]).toMatchObject({ keyId: 'alias/second', region: kms.region });

    const viaKms = await cli(ws, ['verify', '--stage', 'dev']);
    expect(viaKms.stdout).toContain(`opened with aws-kms:alias/second@${kms.region}; 2 of 2 secrets OK`);

    kms.deny('Decrypt');
    const viaLocal = await cli(ws, ['verify', '--stage', 'dev']);
    expect(viaLocal.code).toBe(0);
    expect(viaLocal.stdout).toContain(`opened with ${ids[1]}; 2 of 2 secrets OK`);
  });

  it('tells the user how to give a region when none or an empty one is set', async () => {
    const ws = workspace();
    const init = await cli(ws, ['init', '--stage', 'dev', '--kms', 'alias/ci'], { env: { AWS_REGION: undefined } });
    expect(init.code).toBe(3);
    expect(init.stderr).toContain('no AWS region for KMS key alias/ci: set AWS_REGION');
    const empty = await cli(ws, ['init', '--stage', 'dev', '--kms', 'alias/ci'], { env: { AWS_REGION: '' } });
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain('no valid AWS region');
    expect(fs.existsSync(ws.stageFile('dev'))).toBe(false);
    expect(kms.calls()).toBe(0);
  });

  it('loads the AWS SDK only for commands that call KMS', async () => {
    const ws = workspace();
    const log = path.join(ws.dir, 'sdk-loads.txt');
    const hook = path.join(REPO_ROOT, 'test/support/kms-sdk-load-hook.mjs');
    const traced = { NODE_OPTIONS: `--import=${hook}`, SDK_LOAD_LOG: log };
    const loads = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');

    expect((await cli(ws, ['init', '--stage', 'local', '--local'], { env: traced })).code).toBe(0);
    expect((await cli(ws, ['init', '--stage', 'dev', '--kms', 'alias/ci'], { env: traced })).code).toBe(0);
    expect(loads()).toContain('@aws-sdk/client-kms');
    fs.rmSync(log);

    // a key holder's set (AWS credentials here) approves the new name with one Decrypt
    expect((await cli(ws, ['set', '--stage', 'dev', 'TOKEN'], { input: 'abc', env: traced })).code).toBe(0);
    expect(loads()).toContain('@aws-sdk/client-kms');
    fs.rmSync(log);

    // a writer without AWS settings replaces the value: the approval stays, the SDK is never loaded
    expect((await cli(ws, ['set', '--stage', 'dev', 'TOKEN'], { input: 'abcd', env: traced, aws: false })).code).toBe(
      0,
    );
    expect((await cli(ws, ['list', '--stage', 'dev'], { env: traced, aws: false })).code).toBe(0);
    expect((await cli(ws, ['set', '--stage', 'local', 'TOKEN'], { input: 'abc', env: traced })).code).toBe(0);
    expect((await cli(ws, ['verify', '--stage', 'local'], { env: traced })).code).toBe(0);
    expect(loads()).toBe('');

    expect((await cli(ws, ['verify', '--stage', 'dev'], { env: traced })).code).toBe(0);
    expect(loads()).toContain('@aws-sdk/client-kms');
    fs.rmSync(log);

    // list with AWS settings checks the approval tags with the key at hand: one Decrypt
    const listed = await cli(ws, ['list', '--stage', 'dev'], { env: traced });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/TOKEN .*approved/);
    expect(loads()).toContain('@aws-sdk/client-kms');
  });

  it('never printed the SDK Node-version warning', () => {
    expect(stderrs.length).toBeGreaterThan(20);
    expect(stderrs.filter((s) => s.includes('NodeVersionSupportWarning'))).toEqual([]);
  });
});
