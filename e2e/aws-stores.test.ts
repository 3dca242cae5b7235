/**
 * The AWS stores against moto: `publish --to ssm:/PATH/`, and `import --from ssm:/PATH/` and `--from secretsmanager:ID` (python3's AWS emulator): SecureString
 * parameters under a KMS key made in moto, more than one page of GetParametersByPath, a JSON secret typed by
 * its values, the name rule, refusals before any write, and no value in any output.
 */
import { createHash } from 'node:crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../test/support/cli.js';
import { startMoto, type Moto } from './support/moto.js';

const digest = (v: string) => createHash('sha256').update(v).digest('hex');
const unique = (label: string) => `${label}-${digest(`${label}${process.pid}`).slice(0, 16)}`;

let moto: Moto;
let ws: Workspace;
let aws: NodeJS.ProcessEnv;
let sdkConfig: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
/** every value put into moto: none may appear in any output */
const values: string[] = [];

async function put(ssm: SSMClient, name: string, type: 'String' | 'SecureString' | 'StringList', keyId?: string) {
  const value = unique(name.replace(/\W/g, ''));
  values.push(value);
  await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: type, ...(keyId ? { KeyId: keyId } : {}) }));
  return value;
}

/** Opens stage dev in a child and prints each named secret's digest (never the value). */
async function digestsOf(names: string[]): Promise<Record<string, string>> {
  const script = `const c=require('node:crypto');const o={};for(const n of ${JSON.stringify(names)})o[n]=process.env[n]===undefined?null:c.createHash('sha256').update(process.env[n]).digest('hex');console.log(JSON.stringify(o))`;
  const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', script]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim()) as Record<string, string>;
}

function expectNoValue(text: string): void {
  for (const v of values) expect(text).not.toContain(v);
}

const ssmValues: Record<string, string> = {};

beforeAll(async () => {
  moto = await startMoto();
  aws = {
    ...moto.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  };
  sdkConfig = {
    region: 'us-east-1',
    endpoint: moto.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const config = sdkConfig;
  const kms = new KMSClient(config);
  const key = await kms.send(new CreateKeyCommand({ Description: 'SecureString parameters' }));
  const ssm = new SSMClient(config);
  // 12 parameters directly under /legacy/app (two pages of GetParametersByPath, 10 a page), one level below
  ssmValues.DB_URL = await put(ssm, '/legacy/app/db-url', 'SecureString', key.KeyMetadata!.KeyId);
  ssmValues.API_KEY = await put(ssm, '/legacy/app/api.key', 'SecureString');
  ssmValues.HOSTS = await put(ssm, '/legacy/app/hosts', 'StringList');
  for (let i = 0; i < 9; i++) ssmValues[`SETTING_${i}`] = await put(ssm, `/legacy/app/setting_${i}`, 'String');
  ssmValues.STRIPE_SECRET_KEY = await put(ssm, '/legacy/app/stripe/secret-key', 'SecureString');
  await put(ssm, '/collide/db-url', 'String');
  await put(ssm, '/collide/DB_URL', 'String');
  await put(ssm, '/bad/1st', 'String');
  await put(ssm, '/bad/node-options', 'String');
  await put(ssm, '/bad/fine', 'String');
  const sm = new SecretsManagerClient(config);
  const password = unique('pw');
  values.push(password);
  await sm.send(
    new CreateSecretCommand({
      Name: 'prod/app',
      SecretString: JSON.stringify({ username: 'svc', password, 'db-port': 5432, options: { ssl: true } }),
    }),
  );
  const pem = `-----BEGIN CERTIFICATE-----\n${unique('cert')}\n-----END CERTIFICATE-----\n`;
  values.push(pem.split('\n')[1]!);
  await sm.send(new CreateSecretCommand({ Name: 'prod/cert', SecretString: pem }));
  for (const c of [kms, ssm, sm]) c.destroy();

  ws = makeWorkspace('import-aws');
  Object.assign(ws.env, aws);
  const init = await ws.run(['init', '--stage', 'dev', '--local']);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  ws?.cleanup();
  await moto?.stop();
});

describe('import --from ssm:', () => {
  it('--dry-run lists each parameter and the name it becomes, reads no value and writes nothing', async () => {
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'ssm:/legacy/app/', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('/legacy/app/db-url -> DB_URL (string)');
    expect(r.stdout).toContain('/legacy/app/api.key -> API_KEY (string)');
    expect(r.stdout.trim().split('\n')).toHaveLength(12);
    expectNoValue(r.stdout + r.stderr);
    const list = await ws.run(['list', '--stage', 'dev', '--json']);
    expect(list.stdout).not.toContain('DB_URL');
  });

  it('imports every parameter of both pages, SecureString decrypted, sealed and approved; no value in the output', async () => {
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'ssm:/legacy/app/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('imported 12 secrets from ssm:/legacy/app into stage dev (12 added, 0 replaced)');
    expectNoValue(r.stdout + r.stderr);
    const names = Object.keys(ssmValues).filter((n) => n !== 'STRIPE_SECRET_KEY');
    const got = await digestsOf([...names, 'STRIPE_SECRET_KEY']);
    for (const n of names) expect(got[n], n).toBe(digest(ssmValues[n]!));
    expect(got.STRIPE_SECRET_KEY).toBeNull();
    expectNoValue(JSON.stringify(ws.readStage('dev')));
  });

  it('--recursive takes the levels below too (stripe/secret-key -> STRIPE_SECRET_KEY)', async () => {
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'ssm:/legacy/app', '--recursive']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(1 added, 12 replaced)');
    expect((await digestsOf(['STRIPE_SECRET_KEY'])).STRIPE_SECRET_KEY).toBe(digest(ssmValues.STRIPE_SECRET_KEY!));
  });

  it('names that collide are listed with both sources and nothing is written', async () => {
    const before = ws.snapshot('dev');
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'ssm:/collide/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/collide\/(db-url|DB_URL) and \/collide\/(db-url|DB_URL): all map to DB_URL/);
    expect(r.stderr).toContain('nothing was imported');
    expect(ws.snapshot('dev')).toBe(before);
    expectNoValue(r.stdout + r.stderr);
  });

  it('invalid and reserved names are each listed before anything is written, the valid one too is not imported', async () => {
    const before = ws.snapshot('dev');
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'ssm:/bad/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/bad/1st: invalid secret name "1ST"');
    expect(r.stderr).toMatch(/\/bad\/node-options: NODE_OPTIONS would change how the build runs/);
    expect(r.stderr).toContain('2 of 3 cannot be imported');
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('a path with nothing under it is an error that suggests --recursive', async () => {
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'ssm:/legacy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('add --recursive');
  });
});

describe('import --from secretsmanager:', () => {
  it('a JSON object: one secret per key, typed by its value', async () => {
    const dry = await ws.run(['import', '--stage', 'dev', '--from', 'secretsmanager:prod/app', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('prod/app#db-port -> DB_PORT (number)');
    expect(dry.stdout).toContain('prod/app#options -> OPTIONS (json)');
    expectNoValue(dry.stdout + dry.stderr);
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'secretsmanager:prod/app']);
    expect(r.code, r.stderr).toBe(0);
    expectNoValue(r.stdout + r.stderr);
    const list = JSON.parse((await ws.run(['list', '--stage', 'dev', '--json'])).stdout) as unknown;
    const types = Object.fromEntries(
      (JSON.stringify(list).match(/"name":"(USERNAME|PASSWORD|DB_PORT|OPTIONS)","type":"(\w+)"/g) ?? []).map((m) => {
        const [, n, t] = /"name":"(\w+)","type":"(\w+)"/.exec(m)!;
        return [n, t];
      }),
    );
    expect(types).toEqual({ USERNAME: 'string', PASSWORD: 'string', DB_PORT: 'number', OPTIONS: 'json' });
    const got = await digestsOf(['DB_PORT', 'OPTIONS', 'USERNAME']);
    expect(got).toEqual({ DB_PORT: digest('5432'), OPTIONS: digest('{"ssl":true}'), USERNAME: digest('svc') });
  });

  it('a secret that is not a JSON object needs --as NAME, and then keeps every byte', async () => {
    const refused = await ws.run(['import', '--stage', 'dev', '--from', 'secretsmanager:prod/cert']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--as NAME');
    expectNoValue(refused.stdout + refused.stderr);
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'secretsmanager:prod/cert', '--as', 'TLS_CERT']);
    expect(r.code, r.stderr).toBe(0);
    const pemLine = values.find((v) => v.startsWith('cert-'))!;
    expect((await digestsOf(['TLS_CERT'])).TLS_CERT).toBe(
      digest(`-----BEGIN CERTIFICATE-----\n${pemLine}\n-----END CERTIFICATE-----\n`),
    );
  });

  it('a secret that does not exist is named, exit 1; --as with a value-like argument does not echo it', async () => {
    const r = await ws.run(['import', '--stage', 'dev', '--from', 'secretsmanager:prod/nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('prod/nope');
    const bad = await ws.run([
      'import',
      '--stage',
      'dev',
      '--from',
      'secretsmanager:prod/cert',
      '--as',
      'sk_live_12345-x',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('sk_live_12345-x');
  });
});

describe('publish --to ssm:', () => {
  /** name → { digest of the value, type, version } of the parameters under a path, read back from moto */
  async function published(path: string) {
    const ssm = new SSMClient(sdkConfig);
    const out: Record<string, { digest: string; type: string; version: number }> = {};
    let token: string | undefined;
    do {
      const page = await ssm.send(
        new GetParametersByPathCommand({ Path: path, WithDecryption: true, NextToken: token }),
      );
      for (const p of page.Parameters ?? [])
        out[p.Name!.slice(path.length + 1)] = { digest: digest(p.Value!), type: p.Type!, version: p.Version! };
      token = page.NextToken;
    } while (token);
    ssm.destroy();
    return out;
  }

  it('writes every approved value as a SecureString under the KMS key given; no value in the output', async () => {
    const key = await new KMSClient(sdkConfig).send(new CreateKeyCommand({ Description: 'publish' }));
    const r = await ws.run([
      'publish',
      '--stage',
      'dev',
      '--to',
      'ssm:/org/shared/dev/',
      '--kms-key',
      key.KeyMetadata!.KeyId!,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expectNoValue(r.stdout + r.stderr);
    const params = await published('/org/shared/dev');
    expect(params.DB_URL).toMatchObject({ digest: digest(ssmValues.DB_URL!), type: 'SecureString', version: 1 });
    expect(params.DB_PORT).toMatchObject({ digest: digest('5432'), type: 'SecureString' });
    expect(r.stderr).toContain(`${Object.keys(params).length} written, 0 unchanged`);
  });

  it('publishing again writes nothing (every version stays); a changed secret alone is rewritten', async () => {
    const again = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/org/shared/dev']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/: 0 written, \d+ unchanged/);
    expect(Object.values(await published('/org/shared/dev')).every((p) => p.version === 1)).toBe(true);
    const fresh = unique('fresh');
    values.push(fresh);
    expect((await ws.run(['set', '--stage', 'dev', 'USERNAME', fresh])).code).toBe(0);
    const changed = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/org/shared/dev']);
    expect(changed.stderr).toMatch(/: 1 written, \d+ unchanged/);
    expect(changed.stderr).toContain('written: USERNAME');
    const params = await published('/org/shared/dev');
    expect(params.USERNAME).toMatchObject({ digest: digest(fresh), version: 2 });
    expectNoValue(changed.stdout + changed.stderr);
  });

  it('a name the stage no longer has is listed and left, and deleted with --prune', async () => {
    expect((await ws.run(['rm', '--stage', 'dev', 'HOSTS', '--force'])).code).toBe(0);
    const left = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/org/shared/dev']);
    expect(left.stderr, left.stderr).toContain('delete them with --prune): HOSTS');
    expect((await published('/org/shared/dev')).HOSTS).toBeDefined();
    const pruned = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/org/shared/dev', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain('1 deleted');
    expect((await published('/org/shared/dev')).HOSTS).toBeUndefined();
  });

  it('a stage with a pending name is refused before anything is written, as a build is', async () => {
    const keyless = { XDG_CONFIG_HOME: `${ws.config}-none` };
    const fresh = unique('pending');
    values.push(fresh);
    expect((await ws.run(['set', '--stage', 'dev', 'LATE_ADDITION', fresh], { env: keyless })).code).toBe(0);
    const before = await published('/org/shared/dev');
    const r = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/org/shared/dev']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LATE_ADDITION');
    expect(await published('/org/shared/dev')).toEqual(before);
    expectNoValue(r.stdout + r.stderr);
  });
});
