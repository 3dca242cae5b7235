/**
 * KMS identities made of keys created in moto, named every way `init --kms` accepts: alias, key id, key
 * ARN, alias ARN, and a key in another region (--region). Each stage is created, written and read back
 * through the real CLI and the real @aws-sdk/client-kms against moto's KMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../test/support/cli.js';
import { createKmsKey, startMoto, type Moto } from './support/moto.js';

describe('aws-kms identities with keys created in moto', () => {
  let moto: Moto;
  let ws: Workspace;
  const keys: Record<string, { id: string; arn: string }> = {};

  beforeAll(async () => {
    moto = await startMoto();
    ws = makeWorkspace('kms-ids');
    keys.home = await createKmsKey(moto, 'us-east-1', 'alias/ids');
    keys.away = await createKmsKey(moto, 'eu-west-1');
  });

  afterAll(async () => {
    await moto?.stop();
    ws?.cleanup();
  });

  /** init with the identity, set a value, read it back with export: every step through moto's KMS */
  async function roundTrip(stage: string, kmsArgs: string[]) {
    const env = { ...moto.env };
    const init = await ws.run(['init', '--stage', stage, ...kmsArgs], { env });
    expect(init.code, init.stderr).toBe(0);
    const value = `value-of-${stage}`;
    const set = await ws.run(['set', '--stage', stage, 'TOKEN'], { env, input: value });
    expect(set.code, set.stderr).toBe(0);
    const out = await ws.run(['export', '--stage', stage, '--format', 'json'], { env });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ TOKEN: value });
    return ws.readStage(stage) as {
      identities: Array<{ type: string; keyId?: string; keyArn?: string; region?: string }>;
    };
  }

  it('alias/NAME', async () => {
    const doc = await roundTrip('by-alias', ['--kms', 'alias/ids']);
    expect(doc.identities[0]).toMatchObject({ type: 'aws-kms', keyId: 'alias/ids', keyArn: keys.home!.arn });
  });

  it('key id', async () => {
    const doc = await roundTrip('by-key-id', ['--kms', keys.home!.id]);
    expect(doc.identities[0]).toMatchObject({ keyId: keys.home!.id, keyArn: keys.home!.arn });
  });

  it('key ARN', async () => {
    const doc = await roundTrip('by-key-arn', ['--kms', keys.home!.arn]);
    expect(doc.identities[0]).toMatchObject({ keyId: keys.home!.arn, keyArn: keys.home!.arn });
  });

  it('alias ARN', async () => {
    const aliasArn = keys.home!.arn.replace(/:key\/.*$/, ':alias/ids');
    const doc = await roundTrip('by-alias-arn', ['--kms', aliasArn]);
    expect(doc.identities[0]).toMatchObject({ keyId: aliasArn, keyArn: keys.home!.arn });
  });

  it('a key in another region: --region is recorded and used, whatever AWS_REGION says', async () => {
    const doc = await roundTrip('other-region', ['--kms', keys.away!.id, '--region', 'eu-west-1']);
    expect(doc.identities[0]).toMatchObject({ keyId: keys.away!.id, region: 'eu-west-1', keyArn: keys.away!.arn });
    expect(keys.away!.arn).toContain(':eu-west-1:');
    // the same key id without its region is not found in AWS_REGION (us-east-1)
    const wrong = await ws.run(['init', '--stage', 'no-region', '--kms', keys.away!.id], { env: moto.env });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/KMS/);
  });
});
