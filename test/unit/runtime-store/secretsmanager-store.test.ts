import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { parseRuntimeStoreUrl, runtimeStoreBackendOf } from '../../../src/runtime-store/backends.js';
import { stageFolder } from '../../../src/runtime-store/backend.js';
import {
  parseSecretsManagerUrl,
  secretsManagerBackend,
  secretsManagerObjectStore,
  versionIdOf,
} from '../../../src/runtime-store/secretsmanager-store.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('secretsmanager:// URLs', () => {
  it('parses secretsmanager://PREFIX, slashes at either end dropped, scheme in any case', () => {
    for (const text of [
      'secretsmanager://team/runtime',
      'secretsmanager:///team/runtime/',
      'SecretsManager://team/runtime',
    ]) {
      expect(parseSecretsManagerUrl(text, '--store'), text).toEqual({
        scheme: 'secretsmanager',
        prefix: 'team/runtime',
        url: 'secretsmanager://team/runtime',
      });
    }
    expect(parseRuntimeStoreUrl('secretsmanager://a+b=c.d@e-f_g', 'x')).toMatchObject({
      scheme: 'secretsmanager',
      prefix: 'a+b=c.d@e-f_g',
    });
    expect(parseSecretsManagerUrl('secretsmanager://', 'x')).toMatchObject({ prefix: '' });
  });

  it('refuses what Secrets Manager would not take in a name, saying where the URL came from', () => {
    for (const bad of [
      'secretsmanager://team/run time',
      'secretsmanager://a//b',
      'secretsmanager://a%20b',
      `secretsmanager://${'p'.repeat(257)}`,
    ]) {
      expect(
        usage(() => parseSecretsManagerUrl(bad, 'STAGE_SECRETS_STORE')),
        bad,
      ).toMatch(
        /Secrets Manager prefix must be at most 256 letters, digits and \/ _ \+ = \. @ - .*\(STAGE_SECRETS_STORE\)/,
      );
    }
  });

  it('names objects as the secrets that hold them; refuses an app name a secret name cannot hold', async () => {
    const location = parseSecretsManagerUrl('secretsmanager://team', 'x');
    expect(secretsManagerBackend.objectUrl(location, 'team/shop/dev/TOKEN.json')).toBe(
      'secretsmanager://team/shop/dev/TOKEN',
    );
    const folder = stageFolder(location, 'my app', 'dev');
    expect(usage(() => secretsManagerBackend.grant(location, folder, 'read'))).toMatch(
      /cannot hold team\/my%20app\/dev\/: Secrets Manager names take only/,
    );
    const objects = secretsManagerObjectStore(location, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    await expect(objects.get(`${folder}TOKEN.json`)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('derives the version id from the secret and the entry: a retried call is the same version', () => {
    const a = versionIdOf('team/shop/dev/TOKEN', '{"ct":"1"}');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(versionIdOf('team/shop/dev/TOKEN', '{"ct":"1"}')).toBe(a);
    expect(versionIdOf('team/shop/dev/TOKEN', '{"ct":"2"}')).not.toBe(a);
    expect(versionIdOf('team/shop/dev/OTHER', '{"ct":"1"}')).not.toBe(a);
  });
});

describe('secretsmanager:// grant', () => {
  const location = parseSecretsManagerUrl('secretsmanager://team/runtime', 'x');
  const folder = stageFolder(location, 'shop', 'prod');
  const arn = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:team/runtime/shop/prod/*';

  it("read-write: read, create and promote that folder's secrets; ListSecrets, which IAM grants only on *", () => {
    expect(runtimeStoreBackendOf(location).grant(location, folder, 'read-write')).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: { 'Fn::Sub': arn },
      },
      { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' },
    ]);
    expect(secretsManagerBackend.grantWords('read-write')).toMatch(/on that folder's secrets only, and ListSecrets/);
  });

  it('read: GetSecretValue and ListSecrets only', () => {
    const statements = secretsManagerBackend.grant(location, folder, 'read');
    expect(statements.flatMap((s) => s.Action as string[])).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:ListSecrets',
    ]);
    expect(secretsManagerBackend.grantWords('read')).toMatch(/no PutSecretValue/);
  });

  it('refuses an entry over 64 KB before any call', async () => {
    const objects = secretsManagerObjectStore(location, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    const refused = await objects
      .put('team/runtime/shop/prod/BLOB.json', 'x'.repeat(65537), { ifMatch: 'v1' })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'INVALID_VALUE' });
    expect((refused as Error).message).toMatch(
      /^BLOB is too large .* a secret holds at most 65536\. Nothing was written/,
    );
  });

  it('inside Lambda loads its SDK from the function package', async () => {
    const loaded: string[] = [];
    secretsManagerBackend.coldStart!((pkg) => {
      loaded.push(pkg);
      return { SecretsManagerClient: class {} };
    });
    await secretsManagerObjectStore(location, {})
      .list('team/runtime/shop/prod/')
      .catch(() => undefined);
    expect(loaded).toEqual(['@aws-sdk/client-secrets-manager']);
  });
});
