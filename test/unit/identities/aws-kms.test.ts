import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { initStage } from '../../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { Stage } from '../../../src/stages/stage.js';
import type { StageOptions } from '../../../src/stages/options.js';
import { rewrapStage } from '../../../src/stages/rewrap.js';
import { rotateStage } from '../../../src/stages/rotate.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { verifyStage } from '../../../src/stages/verify.js';
import { exitCodeOf } from '../../../src/core/exit-codes.js';
import type { KmsIdentityRecord } from '../../../src/identities/aws-kms.js';
import { identityOf, recipientFor } from '../../../src/identities/index.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../../support/kms-server.js';

// The provider in-process, through the core operations, against the local KMS server over HTTP.
let kms: KmsServer;
let root: string;
let stageCount = 0;
const warnings: string[] = [];
const SUPPRESS = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

beforeAll(async () => {
  process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
  kms = await startKmsServer();
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_') || name.startsWith('STAGE_SECRETS_')) delete process.env[name];
  Object.assign(process.env, kmsEnv(kms));
  kms.createKey({ alias: 'alias/ci' });
  kms.createKey({ alias: 'alias/backup' });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-kms-'));
  process.env.XDG_CONFIG_HOME = path.join(root, 'config');
});

afterAll(async () => {
  await kms.close();
  fs.rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  forgetUnwrappedKeys();
  kms.allowAll();
  kms.clearFaults();
  kms.resetCalls();
});

afterEach(() => {
  process.env.STAGE_SECRETS_KMS_MAX_ATTEMPTS = '3';
  process.env.STAGE_SECRETS_KMS_TIMEOUT_MS = '3000';
  process.env.AWS_REGION = kms.region;
});

/** A fresh stage (own folder) so tests do not share files. */
function stage(name = 'dev', app = 'demo'): StageOptions {
  stageCount += 1;
  return { stage: name, app, dir: path.join(root, `s${stageCount}`), env: process.env };
}

async function kmsStage(
  secrets: Record<string, string> = { API_TOKEN: 'tok-123' },
  keyId = 'alias/ci',
): Promise<StageOptions> {
  const opts = stage();
  await initStage(opts, [{ type: 'aws-kms', keyId }]);
  await setSecrets(
    opts,
    Object.entries(secrets).map(([name, value]) => ({ name, type: 'string', value })),
  );
  forgetUnwrappedKeys();
  kms.resetCalls();
  return opts;
}

async function failure(promise: Promise<unknown>): Promise<StageSecretsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageSecretsError);
  return err as StageSecretsError;
}

describe('aws-kms identity', () => {
  it('wraps the stage key with Encrypt under {app, stage} and opens it with one Decrypt', async () => {
    const opts = stage('dev', 'shop');
    await initStage(opts, [{ type: 'aws-kms', keyId: 'alias/ci' }]);
    const encrypt = kms.requests.find((r) => r.operation === 'Encrypt');
    expect(encrypt?.encryptionContext).toEqual({ app: 'shop', stage: 'dev' });

    const record = Stage.find(opts).read().identities[0]!;
    const arn = encrypt!.keyId!;
    expect(record).toMatchObject({ type: 'aws-kms', id: 'aws-kms:alias/ci', keyId: 'alias/ci', keyArn: arn });
    expect(Object.keys(record).sort()).toEqual(['ciphertext', 'created', 'id', 'keyArn', 'keyId', 'type']);
    expect(Object.values(record).every((v) => typeof v === 'string')).toBe(true);

    const decrypts = () => kms.requests.filter((r) => r.operation === 'Decrypt');
    // AWS credentials are set here, so set approves the new names with the key: one Decrypt
    const written = await setSecrets(opts, [
      { name: 'DB_URL', type: 'string', value: 'postgres://u:p@h/db' },
      { name: 'PORT', type: 'number', value: '5432' },
    ]);
    expect(written).toMatchObject({ pending: [], approvedWith: 'aws-kms:alias/ci' });
    expect(decrypts()).toHaveLength(1);
    forgetUnwrappedKeys();
    const opened = await Stage.find(opts).open();
    expect(opened.pending).toEqual([]);
    expect(opened.identity.id).toBe('aws-kms:alias/ci');
    expect(opened.identityDescription).toBe(`AWS KMS key alias/ci (${kms.region})`);
    expect(opened.decrypt('DB_URL').text).toBe('postgres://u:p@h/db');
    expect(opened.decrypt('PORT')).toEqual({ type: 'number', text: '5432' });
    const decrypt = decrypts();
    expect(decrypt).toHaveLength(2);
    expect(decrypt[1]).toMatchObject({ keyId: arn, encryptionContext: { app: 'shop', stage: 'dev' } });
  });

  it('calls Decrypt once per stage per process, whatever the number of secrets and opens', async () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`SECRET_${i}`, `value-${i}`]));
    const opts = await kmsStage(fifty);
    const other = await kmsStage({ OTHER: 'x' });
    for (let i = 0; i < 3; i++) {
      const all = (await Stage.find(opts).open()).decryptAll();
      expect(all.size).toBe(50);
      expect(all.get('SECRET_49')?.text).toBe('value-49');
    }
    expect((await verifyStage(opts)).ok).toHaveLength(50);
    expect(kms.calls('Decrypt')).toBe(1);

    // Callers racing to open the same stage share the one call.
    forgetUnwrappedKeys();
    kms.resetCalls();
    const opened = await Promise.all([
      Stage.find(opts).open(),
      Stage.find(opts).open(),
      Stage.find(opts).open(),
      verifyStage(opts),
    ]);
    expect(opened).toHaveLength(4);
    expect(kms.calls('Decrypt')).toBe(1);

    // A second stage is a second Decrypt, and only one.
    kms.resetCalls();
    await Stage.find(other).open();
    await Stage.find(other).open();
    await Stage.find(opts).open();
    expect(kms.calls('Decrypt')).toBe(1);
    expect(kms.calls()).toBe(1);
  });

  it('reports access denied as exit 3 naming the key and kms:Decrypt, without key material', async () => {
    const opts = await kmsStage({ API_TOKEN: 'tok-very-secret' });
    const record = Stage.find(opts).read().identities[0] as KmsIdentityRecord;
    kms.deny('Decrypt');
    const err = await failure(Stage.find(opts).open());
    expect(err.code).toBe('ACCESS_DENIED');
    expect(exitCodeOf(err.code)).toBe(3);
    expect(err.message).toContain('alias/ci');
    expect(err.message).toContain('kms:Decrypt');
    expect(err.message).toContain('user/AKIDSTAGESECRETSTEST');
    expect(err.message).not.toContain(record.ciphertext);
    expect(err.message).not.toContain('tok-very-secret');
  });

  it('maps a disabled, deleted or missing key to exit 3 with what to do', async () => {
    const key = kms.createKey({ alias: 'alias/short-lived' });
    const opts = await kmsStage({ A: 'a' }, 'alias/short-lived');
    kms.setKeyState(key.keyId, 'Disabled');
    expect(await failure(Stage.find(opts).open())).toMatchObject({
      code: 'ACCESS_DENIED',
      message: expect.stringContaining('is disabled'),
    });
    kms.setKeyState(key.keyId, 'PendingDeletion');
    expect(await failure(Stage.find(opts).open())).toMatchObject({
      code: 'ACCESS_DENIED',
      message: expect.stringContaining('pending deletion'),
    });
    const missing = await failure(initStage(stage(), [{ type: 'aws-kms', keyId: 'alias/does-not-exist' }]));
    expect(missing.code).toBe('ACCESS_DENIED');
    expect(missing.message).toMatch(/alias\/does-not-exist was not found.*kms:Encrypt/);
  });

  it('retries throttling with backoff, then succeeds', async () => {
    const opts = await kmsStage();
    kms.fail('throttle', { times: 2, operation: 'Decrypt' });
    expect((await Stage.find(opts).open()).decrypt('API_TOKEN').text).toBe('tok-123');
    expect(kms.calls('Decrypt')).toBe(3);
  });

  it('gives up after the configured attempts on 500s, dropped connections and timeouts', async () => {
    const opts = await kmsStage();
    kms.fail('error500');
    const err500 = await failure(Stage.find(opts).open());
    expect(err500.code).toBe('KEY_UNAVAILABLE');
    expect(exitCodeOf(err500.code)).toBe(3);
    expect(err500.message).toContain('after 3 attempts');
    expect(err500.message).toContain('KMSInternalException, HTTP 500');
    expect(kms.calls('Decrypt')).toBe(3);

    kms.clearFaults();
    kms.resetCalls();
    kms.fail('drop');
    const dropped = await failure(Stage.find(opts).open());
    expect(dropped.code).toBe('KEY_UNAVAILABLE');
    expect(dropped.message).toContain('ECONNRESET');
    expect(kms.calls('Decrypt')).toBe(3);

    kms.clearFaults();
    kms.resetCalls();
    process.env.STAGE_SECRETS_KMS_MAX_ATTEMPTS = '2';
    process.env.STAGE_SECRETS_KMS_TIMEOUT_MS = '200';
    kms.fail('hang');
    const timedOut = await failure(Stage.find(opts).open());
    expect(timedOut.code).toBe('KEY_UNAVAILABLE');
    expect(timedOut.message).toContain('after 2 attempts');
    expect(timedOut.message).toContain('STAGE_SECRETS_KMS_TIMEOUT_MS');
    expect(kms.calls('Decrypt')).toBe(2);
  });

  it('refuses a wrapped key under another context or from another key as an integrity failure (exit 2)', async () => {
    const opts = await kmsStage();
    const file = Stage.find(opts).read();
    const ctx = { app: file.app, stage: file.stage, publicKey: file.publicKey };
    const record = file.identities[0] as KmsIdentityRecord;
    const identity = await identityOf(record, process.env);

    const otherStage = await failure(identity.unwrap({ ...ctx, stage: 'prod' }));
    expect(otherStage.code).toBe('INTEGRITY');
    expect(exitCodeOf(otherStage.code)).toBe(2);
    expect(otherStage.message).toContain('copied from another app or stage');
    expect(await failure(identity.unwrap({ ...ctx, app: 'other-app' }))).toMatchObject({ code: 'INTEGRITY' });

    // A blob wrapped by another key, pasted into this record: Decrypt names the record's key and refuses.
    const backup = await recipientFor({ type: 'aws-kms', keyId: 'alias/backup' }, process.env);
    const foreign = (await backup.wrap(Buffer.alloc(32, 7), ctx)).record as KmsIdentityRecord;
    const swapped: KmsIdentityRecord = { ...record, ciphertext: foreign.ciphertext };
    const incorrect = await failure((await identityOf(swapped, process.env)).unwrap(ctx));
    expect(incorrect.code).toBe('INTEGRITY');
    expect(incorrect.message).toContain('IncorrectKeyException');
  });

  it('falls back to the next identity when one is refused, and says which one opened the stage', async () => {
    const opts = stage();
    await initStage(opts, [
      { type: 'aws-kms', keyId: 'alias/ci' },
      { type: 'aws-kms', keyId: 'alias/backup' },
      { type: 'local' },
    ]);
    await setSecrets(opts, [{ name: 'TOKEN', type: 'string', value: 'abc' }]);
    forgetUnwrappedKeys();

    kms.deny('Decrypt', 'alias/ci');
    const second = await Stage.find(opts).open();
    expect(second.identity.id).toBe('aws-kms:alias/backup');
    expect(second.decrypt('TOKEN').text).toBe('abc');

    forgetUnwrappedKeys();
    kms.deny('Decrypt');
    const local = await verifyStage(opts);
    expect(local.identity).toMatch(/^local:/);
    expect(local.ok).toEqual(['TOKEN']);

    // With no local key either, the error lists every identity's reason.
    fs.rmSync(path.join(root, 'config'), { recursive: true, force: true });
    forgetUnwrappedKeys();
    const err = await failure(Stage.find(opts).open());
    expect(err.code).toBe('ACCESS_DENIED');
    expect(err.message).toContain('alias/ci');
    expect(err.message).toContain('alias/backup');
    expect(err.message).toMatch(/local key/);
  });

  it('rotates and rewraps under KMS', async () => {
    const opts = await kmsStage({ A: 'one', B: 'two' });
    const before = Stage.find(opts).read() as unknown as { identities: KmsIdentityRecord[]; publicKey: string };
    const rotated = await rotateStage(opts);
    expect(rotated).toEqual({ secrets: 2, identities: ['aws-kms:alias/ci'] });
    expect(kms.calls('Decrypt')).toBe(1);
    expect(kms.calls('Encrypt')).toBe(1);
    const after = Stage.find(opts).read() as unknown as { identities: KmsIdentityRecord[]; publicKey: string };
    expect(after.publicKey).not.toBe(before.publicKey);
    expect(after.identities[0]!.ciphertext).not.toBe(before.identities[0]!.ciphertext);
    expect(after.identities[0]!.created).toBe(before.identities[0]!.created);

    const added = await rewrapStage(opts, { add: { type: 'aws-kms', keyId: 'alias/backup' } });
    expect(added.identities).toEqual(['aws-kms:alias/ci', 'aws-kms:alias/backup']);
    await rewrapStage(opts, { remove: 'aws-kms:alias/ci' });
    forgetUnwrappedKeys();
    kms.resetCalls();
    const opened = await Stage.find(opts).open();
    expect(opened.identity.id).toBe('aws-kms:alias/backup');
    expect([...opened.decryptAll().values()].map((v) => v.text)).toEqual(['one', 'two']);
    expect(Stage.find(opts).read().publicKey).toBe(after.publicKey);
    expect(kms.calls('Decrypt')).toBe(1);
  });

  it('calls the key region: --region as given, else the region in the key ARN, not AWS_REGION of the build', async () => {
    const withRegion = stage();
    await initStage(withRegion, [{ type: 'aws-kms', keyId: 'alias/ci', region: 'eu-central-1' }]);
    const record = Stage.find(withRegion).read().identities[0]!;
    expect(record).toMatchObject({ id: 'aws-kms:alias/ci@eu-central-1', region: 'eu-central-1' });
    expect(kms.requests.at(-1)).toMatchObject({ operation: 'Encrypt', region: 'eu-central-1' });

    const opts = await kmsStage();
    process.env.AWS_REGION = 'ap-south-1';
    await Stage.find(opts).open();
    expect(kms.requests.at(-1)).toMatchObject({ operation: 'Decrypt', region: kms.region });
  });

  it('rejects a bad retry setting by name', async () => {
    const opts = await kmsStage();
    process.env.STAGE_SECRETS_KMS_MAX_ATTEMPTS = 'lots';
    const err = await failure(Stage.find(opts).open());
    expect(err.message).toContain('STAGE_SECRETS_KMS_MAX_ATTEMPTS must be a whole number');
  });

  it('kept the SDK Node-version warning out of the output without leaving its switch in the env', () => {
    expect(warnings.filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
    expect(process.env[SUPPRESS]).toBeUndefined();
  });
});
