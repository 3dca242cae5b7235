/**
 * References through the CLI against moto (python3's AWS emulator): `set --ref` by a key holder, then `run`
 * and `export` resolve each reference with the build's own AWS credentials: an SSM SecureString under a moto
 * KMS key, a Secrets Manager JSON secret's #KEY; a target whose value changes between two builds (the second
 * sees the new value, the repository unchanged); a missing and a denied target fail the build naming the
 * name and the target, with no value in any output. moto has no IAM: a small proxy in front of it answers
 * AccessDeniedException for one parameter.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../test/support/cli.js';
import { startMoto, type Moto } from './support/moto.js';

const digest = (v: string) => createHash('sha256').update(v).digest('hex');
const unique = (label: string) => `${label}-${digest(`${label}${process.pid}`).slice(0, 16)}`;

/** moto, with AccessDeniedException for GetParameters calls that name a denied parameter. */
async function denyingProxy(moto: Moto, denied: ReadonlySet<string>) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = req.headers['x-amz-target'];
      const names =
        op === 'AmazonSSM.GetParameters' ? (JSON.parse(body.toString('utf8')) as { Names: string[] }).Names : [];
      if (names.some((n) => denied.has(n))) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'not authorized: ssm:GetParameters' }));
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: moto.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let moto: Moto;
let proxy: Awaited<ReturnType<typeof denyingProxy>>;
let ws: Workspace;
let ssm: SSMClient;
/** every value put into moto: none may appear in any output */
const values: string[] = [];
const expected: Record<string, string> = {};

async function putParameter(name: string, value: string, keyId?: string) {
  values.push(value);
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: 'SecureString',
      Overwrite: true,
      ...(keyId ? { KeyId: keyId } : {}),
    }),
  );
}

function expectNoValue(text: string): void {
  for (const v of values) expect(text).not.toContain(v);
}

/** `run` in a child that prints each named secret's digest (never the value). */
async function digestsByRun(names: string[], env: NodeJS.ProcessEnv = {}) {
  const script = `const c=require('node:crypto');const o={};for(const n of ${JSON.stringify(names)})o[n]=process.env[n]===undefined?null:c.createHash('sha256').update(process.env[n]).digest('hex');console.log(JSON.stringify(o))`;
  const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', script], { env });
  return { ...r, digests: r.code === 0 ? (JSON.parse(r.stdout.trim()) as Record<string, string>) : undefined };
}

async function set(args: string[]) {
  const r = await ws.run(['set', '--stage', 'dev', ...args]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain('names approved with');
}

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    region: 'us-east-1',
    endpoint: moto.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const kms = new KMSClient(config);
  const key = await kms.send(new CreateKeyCommand({ Description: 'SecureString parameters' }));
  kms.destroy();
  ssm = new SSMClient(config);
  expected.STRIPE_KEY = unique('stripe');
  await putParameter('/org/shared/stripe-key', expected.STRIPE_KEY, key.KeyMetadata!.KeyId);
  await putParameter('/org/shared/denied', unique('denied'));
  const sm = new SecretsManagerClient(config);
  expected.DB_PASSWORD = unique('pw');
  values.push(expected.DB_PASSWORD);
  await sm.send(
    new CreateSecretCommand({
      Name: 'prod/db',
      SecretString: JSON.stringify({ username: 'svc', password: expected.DB_PASSWORD, port: 5432 }),
    }),
  );
  sm.destroy();
  proxy = await denyingProxy(moto, new Set(['/org/shared/denied']));

  ws = makeWorkspace('references-app');
  Object.assign(ws.env, moto.env, {
    AWS_ENDPOINT_URL: proxy.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  });
  const init = await ws.run(['init', '--stage', 'dev', '--local']);
  expect(init.code, init.stderr).toBe(0);
  await set(['STRIPE_KEY', '--ref', 'ssm:/org/shared/stripe-key']);
  await set(['DB_PASSWORD', '--ref', 'secretsmanager:prod/db#password']);
  await set(['DB_PORT', '--ref', 'secretsmanager:prod/db#port', '--type', 'number']);
});

afterAll(async () => {
  ssm?.destroy();
  ws?.cleanup();
  await proxy?.close();
  await moto?.stop();
});

describe('references resolved by the build', () => {
  it('run resolves an SSM SecureString (moto KMS key) and a Secrets Manager #KEY; no value in the stage files', async () => {
    const r = await digestsByRun(['STRIPE_KEY', 'DB_PASSWORD', 'DB_PORT']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.digests).toEqual({
      STRIPE_KEY: digest(expected.STRIPE_KEY!),
      DB_PASSWORD: digest(expected.DB_PASSWORD!),
      DB_PORT: digest('5432'),
    });
    expectNoValue(r.stderr);
    expectNoValue(JSON.stringify(ws.readStage('dev')));
  });

  it('export resolves them too (json, to a 0600 file)', async () => {
    const out = path.join(path.dirname(ws.dir), 'exported.json');
    const r = await ws.run(['export', '--stage', 'dev', '--format', 'json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expectNoValue(r.stdout + r.stderr);
    const exported = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(digest(String(exported.STRIPE_KEY))).toBe(digest(expected.STRIPE_KEY!));
    expect(digest(String(exported.DB_PASSWORD))).toBe(digest(expected.DB_PASSWORD!));
    expect(String(exported.DB_PORT)).toBe('5432');
    fs.rmSync(out);
  });

  it("a target's new value is seen by the next build, the repository unchanged", async () => {
    const before = ws.snapshot('dev');
    const next = unique('stripe-rotated');
    await putParameter('/org/shared/stripe-key', next);
    expected.STRIPE_KEY = next;
    const r = await digestsByRun(['STRIPE_KEY']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.digests!.STRIPE_KEY).toBe(digest(next));
    expect(ws.snapshot('dev')).toBe(before);
  });
});

describe('publish --to ssm:/PATH/', () => {
  const published = async () => {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: '/published/app', WithDecryption: true }));
    return Object.fromEntries((page.Parameters ?? []).map((p) => [p.Name!.split('/').pop()!, p.Value!]));
  };

  it('skips references and lists them; --prune leaves their parameters; --resolve-refs publishes resolved values', async () => {
    const plain = unique('plain');
    values.push(plain);
    const r0 = await ws.run(['set', '--stage', 'dev', 'PLAIN'], { input: plain });
    expect(r0.code, r0.stderr).toBe(0);
    const resolved = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/published/app/', '--resolve-refs']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expectNoValue(resolved.stdout + resolved.stderr);
    const all = await published();
    expect(all.STRIPE_KEY).toBe(expected.STRIPE_KEY);
    expect(all.DB_PASSWORD).toBe(expected.DB_PASSWORD);
    expect(all.PLAIN).toBe(plain);
    const skipped = await ws.run(['publish', '--stage', 'dev', '--to', 'ssm:/published/app/', '--prune']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain(
      'references skipped (publish their resolved values with --resolve-refs): DB_PASSWORD, DB_PORT, STRIPE_KEY',
    );
    expect(skipped.stderr).toContain(', 0 deleted');
    expectNoValue(skipped.stdout + skipped.stderr);
    expect(Object.keys(await published()).sort()).toEqual(['DB_PASSWORD', 'DB_PORT', 'PLAIN', 'STRIPE_KEY']);
    const rm = await ws.run(['rm', '--stage', 'dev', 'PLAIN']);
    expect(rm.code, rm.stderr).toBe(0);
  });
});

describe('a target the build cannot read fails it, naming the name and the target, never a value', () => {
  it('a missing parameter', async () => {
    const before = ws.snapshot('dev');
    await set(['GHOST', '--ref', 'ssm:/org/shared/no-such-parameter']);
    try {
      const r = await digestsByRun(['STRIPE_KEY']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('GHOST');
      expect(r.stderr).toContain('ssm:/org/shared/no-such-parameter');
      expectNoValue(r.stdout + r.stderr);
      const e = await ws.run(['export', '--stage', 'dev', '--format', 'dotenv']);
      expect(e.code).not.toBe(0);
      expect(e.stderr).toContain('GHOST');
      expectNoValue(e.stdout + e.stderr);
    } finally {
      ws.restore('dev', before);
    }
  });

  it('a denied parameter (AccessDeniedException)', async () => {
    const before = ws.snapshot('dev');
    await set(['DENIED', '--ref', 'ssm:/org/shared/denied']);
    try {
      const r = await digestsByRun(['STRIPE_KEY']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('DENIED');
      expect(r.stderr).toContain('ssm:/org/shared/denied');
      expect(r.stderr).toMatch(/denied|not authorized|AccessDenied/i);
      expectNoValue(r.stdout + r.stderr);
    } finally {
      ws.restore('dev', before);
    }
  });
});
