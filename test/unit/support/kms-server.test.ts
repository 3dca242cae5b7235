import {
  CreateAliasCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ListAliasesCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../../support/kms-server.js';

// The test server is only useful if the real SDK accepts it as KMS: check the wire protocol itself.
let kms: KmsServer;
let client: KMSClient;

beforeAll(async () => {
  kms = await startKmsServer({ region: 'eu-west-1' });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  client = new KMSClient({
    region: 'eu-west-1',
    endpoint: kms.url,
    credentials: { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'not-a-real-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await kms.close();
});

beforeEach(() => {
  kms.allowAll();
  kms.clearFaults();
  kms.resetCalls();
});

const ctx = { app: 'demo', stage: 'dev' };
const text = (s: string) => new TextEncoder().encode(s);

describe('local KMS server over the real SDK', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(new URL(kms.url).hostname).toBe('127.0.0.1');
    expect(Number(new URL(kms.url).port)).toBeGreaterThan(0);
  });

  it('encrypts and decrypts under an alias, binding the encryption context', async () => {
    const key = kms.createKey({ alias: 'alias/wire-test' });
    const enc = await client.send(
      new EncryptCommand({ KeyId: 'alias/wire-test', Plaintext: text('hello'), EncryptionContext: ctx }),
    );
    expect(enc.KeyId).toBe(key.arn);
    expect(key.arn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\//);
    const dec = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('hello');
    expect(dec.KeyId).toBe(key.arn);

    const wrongContext = client.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { ...ctx, stage: 'prod' } }),
    );
    await expect(wrongContext).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    const noContext = client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    await expect(noContext).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    expect(kms.requests.at(-1)).toEqual({ operation: 'Decrypt', region: 'eu-west-1', keyId: key.arn });
  });

  it('refuses a blob of another key when KeyId is given', async () => {
    const a = kms.createKey();
    const b = kms.createKey();
    const enc = await client.send(new EncryptCommand({ KeyId: a.keyId, Plaintext: text('x') }));
    await expect(
      client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: b.arn })),
    ).rejects.toMatchObject({
      name: 'IncorrectKeyException',
    });
    const tampered = Buffer.from(enc.CiphertextBlob!);
    tampered[tampered.length - 1]! ^= 1;
    await expect(client.send(new DecryptCommand({ CiphertextBlob: tampered }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });

  it('generates data keys, describes keys and lists aliases', async () => {
    const key = kms.createKey({ description: 'wire' });
    await client.send(new CreateAliasCommand({ AliasName: 'alias/data', TargetKeyId: key.keyId }));
    const dk = await client.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/data', KeySpec: 'AES_256', EncryptionContext: ctx }),
    );
    expect(dk.Plaintext).toHaveLength(32);
    const back = await client.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ctx }));
    expect(Buffer.from(back.Plaintext!).equals(Buffer.from(dk.Plaintext!))).toBe(true);

    const described = await client.send(
      new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:111122223333:alias/data` }),
    );
    expect(described.KeyMetadata).toMatchObject({
      KeyId: key.keyId,
      Arn: key.arn,
      KeyState: 'Enabled',
      Description: 'wire',
    });
    const aliases = await client.send(new ListAliasesCommand({ KeyId: key.keyId }));
    expect(aliases.Aliases?.map((a) => a.AliasName)).toEqual(['alias/data']);
  });

  it('answers with __type errors the SDK maps to named exceptions', async () => {
    const key = kms.createKey();
    await expect(client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    kms.deny('Encrypt', key.keyId);
    const denied = await client
      .send(new EncryptCommand({ KeyId: key.keyId, Plaintext: text('x') }))
      .catch((e: Error) => e);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    expect((denied as Error).message).toContain('kms:Encrypt');
    expect((denied as Error).message).toContain('user/AKIDWIRETEST');
    kms.allowAll();
    kms.setKeyState(key.keyId, 'Disabled');
    await expect(client.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: text('x') }))).rejects.toMatchObject({
      name: 'DisabledException',
    });
    kms.setKeyState(key.keyId, 'PendingDeletion');
    await expect(client.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: text('x') }))).rejects.toMatchObject({
      name: 'KMSInvalidStateException',
    });
  });

  it('injects throttling, 500s and dropped connections, and counts every request', async () => {
    const key = kms.createKey();
    kms.fail('throttle', { times: 1, operation: 'Encrypt' });
    kms.fail('error500', { times: 1 });
    kms.fail('drop', { times: 1 });
    const send = () => client.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: text('x') }));
    await expect(send()).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(send()).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    await expect(send()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(send()).resolves.toMatchObject({ KeyId: key.arn });
    expect(kms.calls('Encrypt')).toBe(4);
    expect(kms.calls()).toBe(4);
  });

  it('refuses unsigned requests', async () => {
    const res = await fetch(kms.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListAliases' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
