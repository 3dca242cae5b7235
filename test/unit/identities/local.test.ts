import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateStageKeyPair } from '../../../src/core/crypto.js';
import { localKind, type LocalIdentityRecord } from '../../../src/identities/local.js';
import type { StageContext } from '../../../src/identities/types.js';

describe('local identity kind', () => {
  let config: string;
  let env: NodeJS.ProcessEnv;
  const pair = generateStageKeyPair();
  const ctx: StageContext = { app: 'shop', stage: 'dev', publicKey: pair.publicKey.toString('base64') };

  beforeEach(() => {
    config = fs.mkdtempSync(path.join(os.tmpdir(), 'local-kind-'));
    env = { XDG_CONFIG_HOME: config };
  });
  afterEach(() => fs.rmSync(config, { recursive: true, force: true }));

  const newRecord = async () => {
    const recipient = await localKind.recipient({ type: 'local' }, env);
    return (await recipient.wrap(pair.privateKey, ctx)).record as LocalIdentityRecord;
  };
  const keyFile = (record: LocalIdentityRecord) =>
    path.join(config, 'stage-secrets', 'keys', `${record.fingerprint}.key`);

  it('wraps to a new key file (0600) and unwraps with it, or with the key in the stage variable', async () => {
    const record = await newRecord();
    expect(record.id).toBe(`local:${record.fingerprint}`);
    expect(fs.statSync(keyFile(record)).mode & 0o777).toBe(0o600);
    const fromFile = await (await localKind.identity(record, env)).unwrap(ctx);
    expect(fromFile.equals(pair.privateKey)).toBe(true);
    const key = fs.readFileSync(keyFile(record), 'utf8');
    fs.rmSync(keyFile(record));
    const fromEnv = await (await localKind.identity(record, { ...env, STAGE_SECRETS_KEY_DEV: key })).unwrap(ctx);
    expect(fromEnv.equals(pair.privateKey)).toBe(true);
  });

  it('refuses a wrapped key moved to another stage (INTEGRITY) and a missing key (KEY_MISSING)', async () => {
    const record = await newRecord();
    const identity = await localKind.identity(record, env);
    await expect(identity.unwrap({ ...ctx, stage: 'prod' })).rejects.toMatchObject({ code: 'INTEGRITY' });
    fs.rmSync(keyFile(record));
    await expect(identity.unwrap(ctx)).rejects.toMatchObject({ code: 'KEY_MISSING' });
  });

  it('gives run every form of the key texts it may have read, and names a stray key in the env', async () => {
    const record = await newRecord();
    const key = fs.readFileSync(keyFile(record), 'utf8').trim();
    const texts = localKind.keyTexts!([record], { ...env, STAGE_SECRETS_KEY_OTHER: 'stage-secrets-key-1:x' });
    expect(texts).toContain(key);
    expect(texts).toContain(key.split(':')[1]);
    expect(texts).toContain('stage-secrets-key-1:x');
    expect(localKind.strayKey!([record], 'dev', { STAGE_SECRETS_KEY_DEV: key })).toBeUndefined();
    const other = `stage-secrets-key-1:${Buffer.alloc(32, 9).toString('base64url')}`;
    expect(localKind.strayKey!([record], 'dev', { STAGE_SECRETS_KEY_DEV: other })?.holder).toMatch(
      /^STAGE_SECRETS_KEY_DEV holds local key local:[0-9a-f]{16}$/,
    );
  });

  it('is tried quickly, is not for the Lambda runtime, and describes a record by its id', async () => {
    const record = await newRecord();
    expect(localKind.canTryQuickly(record, {})).toBe(true);
    expect(localKind.lambdaRuntime).toBe(false);
    expect(localKind.describe(record)).toBe(`local key ${record.id}`);
  });
});
