/**
 * resolveReferences against moto (python3's AWS emulator): SSM parameters read 10 names a GetParameters call
 * (counted by a proxy in front of moto), a SecureString under a KMS key made in moto, Secrets Manager JSON
 * secrets with #KEY, a missing and a denied target (moto has no IAM: the proxy answers AccessDeniedException
 * for one parameter), a value changed between two resolutions, and no value in any error.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type * as net from 'node:net';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveReferences } from '../src/aws/references.js';
import { StageSecretsError } from '../src/core/errors.js';
import type { SecretType, SecretValue } from '../src/core/values.js';
import { startMoto, type Moto } from './support/moto.js';

const unique = (label: string) =>
  `${label}-${createHash('sha256').update(`${label}${process.pid}`).digest('hex').slice(0, 16)}`;

/** A pass-through proxy in front of moto: counts each X-Amz-Target, and denies requests that name a denied parameter. */
interface AwsProxy {
  url: string;
  targets: string[];
  denied: Set<string>;
  close(): Promise<void>;
}

async function awsProxy(moto: Moto): Promise<AwsProxy> {
  const targets: string[] = [];
  const denied = new Set<string>();
  const server = http.createServer((req, res) => {
    const op = req.headers['x-amz-target'];
    if (typeof op === 'string') targets.push(op);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const names =
        op === 'AmazonSSM.GetParameters' ? (JSON.parse(body.toString('utf8')) as { Names: string[] }).Names : [];
      if (names.some((n) => denied.has(n))) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            __type: 'AccessDeniedException',
            message: 'User is not authorized to perform ssm:GetParameters',
          }),
        );
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
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    denied,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let moto: Moto;
let proxy: AwsProxy;
let env: NodeJS.ProcessEnv;
let ssm: SSMClient;
let sm: SecretsManagerClient;
/** every value put into moto: none may appear in any error */
const values: string[] = [];
const params: Record<string, string> = {};
let puts = 0;

const ref = (text: string, type: SecretType = 'string') => ({ type, text, ref: true }) as SecretValue;

async function put(name: string, type: 'String' | 'SecureString', keyId?: string): Promise<string> {
  const value = unique(`${name.replace(/\W/g, '')}${puts++}`);
  values.push(value);
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: type,
      Overwrite: true,
      ...(keyId ? { KeyId: keyId } : {}),
    }),
  );
  params[name] = value;
  return value;
}

async function failure(refs: Map<string, SecretValue>): Promise<StageSecretsError> {
  try {
    await resolveReferences(refs, env);
  } catch (err) {
    expect(err).toBeInstanceOf(StageSecretsError);
    const e = err as StageSecretsError;
    for (const v of values) expect(e.message).not.toContain(v);
    for (const v of values) expect(String(e.stack)).not.toContain(v);
    return e;
  }
  throw new Error('resolved, expected a failure');
}

let keyId: string;
const password = unique('pw');

beforeAll(async () => {
  moto = await startMoto();
  proxy = await awsProxy(moto);
  const config = {
    region: 'us-east-1',
    endpoint: moto.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const kms = new KMSClient(config);
  keyId = (await kms.send(new CreateKeyCommand({ Description: 'SecureString references' }))).KeyMetadata!.KeyId!;
  kms.destroy();
  ssm = new SSMClient(config);
  sm = new SecretsManagerClient(config);
  for (let i = 0; i < 25; i++)
    await put(`/org/shared/p${String(i).padStart(2, '0')}`, i % 2 ? 'SecureString' : 'String');
  await put('/org/shared/kms-held', 'SecureString', keyId);
  await put('/org/shared/denied', 'String');
  await put('/org/shared/changing', 'SecureString');
  values.push(password);
  await sm.send(
    new CreateSecretCommand({
      Name: 'prod/db',
      SecretString: JSON.stringify({ username: 'svc', password, port: 5432, options: { ssl: true } }),
    }),
  );
  const whole = unique('whole');
  values.push(whole);
  await sm.send(new CreateSecretCommand({ Name: 'prod/plain', SecretString: whole }));
  // the environment the build (or a function) has: the endpoint is the proxy's
  env = {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: proxy.url,
  };
});

afterAll(async () => {
  ssm?.destroy();
  sm?.destroy();
  await proxy?.close();
  await moto?.stop();
});

describe('resolveReferences against moto', () => {
  it('resolves 25 SSM references with 3 GetParameters calls, SecureStrings decrypted, plain values untouched', async () => {
    const plain: SecretValue = { type: 'string', text: 'in-the-repo' };
    const input = new Map<string, SecretValue>([['PLAIN', plain]]);
    for (let i = 0; i < 25; i++) input.set(`P${i}`, ref(`ssm:/org/shared/p${String(i).padStart(2, '0')}`));
    proxy.targets.length = 0;
    const out = await resolveReferences(input, env);
    expect(proxy.targets).toEqual(Array(3).fill('AmazonSSM.GetParameters'));
    expect(out.get('PLAIN')).toBe(plain);
    for (let i = 0; i < 25; i++) {
      expect(out.get(`P${i}`)).toEqual({ type: 'string', text: params[`/org/shared/p${String(i).padStart(2, '0')}`] });
    }
    expect([...out.keys()]).toEqual([...input.keys()]);
  });

  it('asks for a parameter two names share once', async () => {
    proxy.targets.length = 0;
    const out = await resolveReferences(
      new Map([
        ['A', ref('ssm:/org/shared/p01')],
        ['B', ref('ssm:/org/shared/p01')],
      ]),
      env,
    );
    expect(proxy.targets).toEqual(['AmazonSSM.GetParameters']);
    expect(out.get('A')!.text).toBe(params['/org/shared/p01']);
    expect(out.get('B')!.text).toBe(params['/org/shared/p01']);
  });

  it('decrypts a SecureString under a customer managed KMS key', async () => {
    const out = await resolveReferences(new Map([['HELD', ref('ssm:/org/shared/kms-held')]]), env);
    expect(out.get('HELD')).toEqual({ type: 'string', text: params['/org/shared/kms-held'] });
  });

  it('takes a top-level key of a JSON secret, the whole secret, and a number typed by the entry; one call a secret', async () => {
    proxy.targets.length = 0;
    const out = await resolveReferences(
      new Map([
        ['DB_PASSWORD', ref('secretsmanager:prod/db#password')],
        ['DB_PORT', ref('secretsmanager:prod/db#port', 'number')],
        ['DB_OPTIONS', ref('secretsmanager:prod/db#options', 'json')],
        ['DB', ref('secretsmanager:prod/db', 'json')],
        ['WHOLE', ref('secretsmanager:prod/plain')],
      ]),
      env,
    );
    expect(proxy.targets.sort()).toEqual(['secretsmanager.GetSecretValue', 'secretsmanager.GetSecretValue']);
    expect(out.get('DB_PASSWORD')).toEqual({ type: 'string', text: password });
    expect(out.get('DB_PORT')).toEqual({ type: 'number', text: '5432' });
    expect(out.get('DB_OPTIONS')).toEqual({ type: 'json', text: '{"ssl":true}' });
    expect(JSON.parse(out.get('DB')!.text)).toMatchObject({ password, port: 5432 });
    expect(out.get('WHOLE')!.text).toBe(values.at(-1));
  });

  it('sees a value changed between two resolutions', async () => {
    const input = new Map([
      ['CHANGING', ref('ssm:/org/shared/changing')],
      ['DB_PASSWORD', ref('secretsmanager:prod/db#password')],
    ]);
    const first = await resolveReferences(input, env);
    expect(first.get('CHANGING')!.text).toBe(params['/org/shared/changing']);
    const next = await put('/org/shared/changing', 'SecureString');
    const newPassword = unique('pw2');
    values.push(newPassword);
    await sm.send(
      new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: JSON.stringify({ password: newPassword }) }),
    );
    const second = await resolveReferences(input, env);
    expect(second.get('CHANGING')!.text).toBe(next);
    expect(second.get('DB_PASSWORD')!.text).toBe(newPassword);
    expect(first.get('CHANGING')!.text).not.toBe(next);
  });

  it('fails on a missing parameter or secret, naming each name and target, never a value', async () => {
    const e = await failure(
      new Map([
        ['OK', ref('ssm:/org/shared/p00')],
        ['GONE', ref('ssm:/org/shared/nothing-here')],
        ['GONE_TOO', ref('ssm:/org/other/absent')],
      ]),
    );
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('GONE -> ssm:/org/shared/nothing-here');
    expect(e.message).toContain('GONE_TOO -> ssm:/org/other/absent');
    expect(e.message).not.toContain('OK ->');
    const s = await failure(new Map([['NO_SECRET', ref('secretsmanager:prod/none#x')]]));
    expect(s.code).toBe('NOT_FOUND');
    expect(s.message).toContain('NO_SECRET -> secretsmanager:prod/none#x');
  });

  it('fails on a key the JSON secret lacks, and on a key into a secret that is not a JSON object', async () => {
    const e = await failure(new Map([['NO_KEY', ref('secretsmanager:prod/db#nope')]]));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('NO_KEY -> secretsmanager:prod/db#nope');
    const p = await failure(new Map([['NOT_JSON', ref('secretsmanager:prod/plain#key')]]));
    expect(p.code).toBe('INVALID_VALUE');
    expect(p.message).toContain('NOT_JSON -> secretsmanager:prod/plain#key');
  });

  it('fails on a value that is not of the declared type, naming the target', async () => {
    const e = await failure(new Map([['PORT', ref('ssm:/org/shared/p00', 'number')]]));
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.message).toContain('PORT');
    expect(e.message).toContain('ssm:/org/shared/p00');
  });

  it('fails on a denied parameter with ACCESS_DENIED, naming only the denied name and its target', async () => {
    proxy.denied.add('/org/shared/denied');
    try {
      const input = new Map<string, SecretValue>();
      for (let i = 0; i < 9; i++) input.set(`P${i}`, ref(`ssm:/org/shared/p${String(i).padStart(2, '0')}`));
      input.set('DENIED', ref('ssm:/org/shared/denied'));
      proxy.targets.length = 0;
      const e = await failure(input);
      expect(e.code).toBe('ACCESS_DENIED');
      expect(e.message).toContain('DENIED -> ssm:/org/shared/denied');
      expect(e.message).toContain('ssm:GetParameters');
      expect(e.message).not.toContain('P1 ->');
      // the batch of 10, then each name alone to find the denied one
      expect(proxy.targets).toHaveLength(11);
    } finally {
      proxy.denied.clear();
    }
  });

  it('fails with KEY_UNAVAILABLE when AWS cannot be reached, naming the names and targets', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    try {
      await resolveReferences(new Map([['AWAY', ref('ssm:/org/shared/p00')]]), {
        ...env,
        AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
        AWS_MAX_ATTEMPTS: '1',
      });
      throw new Error('resolved');
    } catch (err) {
      expect((err as StageSecretsError).code).toBe('KEY_UNAVAILABLE');
      expect((err as Error).message).toContain('AWAY -> ssm:/org/shared/p00');
    }
  });
});
