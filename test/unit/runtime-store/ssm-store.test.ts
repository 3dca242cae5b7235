import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { parseRuntimeStoreUrl, runtimeStoreBackendOf } from '../../../src/runtime-store/backends.js';
import { stageFolder } from '../../../src/runtime-store/backend.js';
import { parseSsmUrl, ssmBackend, ssmObjectStore } from '../../../src/runtime-store/ssm-store.js';

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

describe('ssm:// URLs', () => {
  it('parses ssm://PATH with or without a leading slash, trailing slashes dropped, scheme in any case', () => {
    for (const text of ['ssm://team/runtime', 'ssm:///team/runtime/', 'SSM://team/runtime//', ' ssm://team/runtime ']) {
      expect(parseSsmUrl(text, '--store'), text).toEqual({
        scheme: 'ssm',
        prefix: 'team/runtime',
        url: 'ssm://team/runtime',
      });
    }
    expect(parseSsmUrl('ssm://', 'x')).toMatchObject({ prefix: '', url: 'ssm://' });
    expect(parseRuntimeStoreUrl('ssm://a.b_c-d/e', 'x')).toMatchObject({ scheme: 'ssm', prefix: 'a.b_c-d/e' });
  });

  it('refuses what SSM would not take as a parameter path, saying where the URL came from', () => {
    const deep = `ssm://${Array.from({ length: 12 }, (_, i) => `l${i}`).join('/')}`;
    for (const bad of [
      'ssm://team/run time',
      'ssm://team//x',
      'ssm://aws/x',
      'ssm://SSM-things',
      'ssm://a/b%20c',
      deep,
    ]) {
      expect(
        usage(() => parseSsmUrl(bad, 'custom.stageSecrets.store')),
        bad,
      ).toMatch(
        /SSM path must be at most 11 levels of letters, digits and _ \. - .*give it as ssm:\/\/PATH.*\(custom\.stageSecrets\.store\)/,
      );
    }
    expect(usage(() => parseSsmUrl('s3://b/p', '--store'))).toMatch(/not an ssm:\/\/ URL/);
  });

  it('names objects as the parameter paths that hold them', () => {
    const location = parseSsmUrl('ssm://team/runtime', 'x');
    expect(ssmBackend.objectUrl(location, 'team/runtime/shop/dev/TOKEN.json')).toBe(
      'ssm://team/runtime/shop/dev/TOKEN',
    );
    expect(ssmBackend.objectUrl(location, stageFolder(location, 'shop', 'dev'))).toBe('ssm://team/runtime/shop/dev/');
  });

  it('refuses an app name SSM cannot hold in a parameter name, before any call', async () => {
    const location = parseSsmUrl('ssm://team', 'x');
    const folder = stageFolder(location, 'my app', 'dev');
    expect(usage(() => ssmBackend.grant(location, folder, 'read'))).toMatch(
      /cannot hold \/team\/my%20app\/dev: SSM parameter names take only letters, digits and _ \. -/,
    );
    const objects = ssmObjectStore(location, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    await expect(objects.get(`${folder}TOKEN.json`)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('refuses an entry over 8 KB before any call, naming the secret and the limit', async () => {
    const location = parseSsmUrl('ssm://team', 'x');
    // port 9 (discard) is never reached: the size check comes first
    const objects = ssmObjectStore(location, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });
    const refused = await objects
      .put('team/shop/dev/CERT.json', 'x'.repeat(8193), { ifNoneMatch: '*' })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'INVALID_VALUE' });
    expect((refused as Error).message).toMatch(
      /^CERT is too large for the SSM runtime store ssm:\/\/team: its sealed entry is 8193 bytes, and an SSM parameter holds at most 8192 bytes \(advanced tier\)\. Nothing was written/,
    );
  });
});

describe('ssm:// grant', () => {
  const location = parseSsmUrl('ssm://team/runtime', 'x');
  const folder = stageFolder(location, 'shop', 'prod');
  const arn = 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/team/runtime/shop/prod';

  it('read-write: list the folder, create and delete numbers under it; nothing else', () => {
    expect(runtimeStoreBackendOf(location).grant(location, folder, 'read-write')).toEqual([
      {
        Effect: 'Allow',
        Action: ['ssm:GetParametersByPath'],
        Resource: [{ 'Fn::Sub': arn }, { 'Fn::Sub': `${arn}/*` }],
      },
      { Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:DeleteParameters'], Resource: { 'Fn::Sub': `${arn}/*` } },
    ]);
    expect(ssmBackend.grantWords('read-write')).toMatch(/ssm:PutParameter.*on that folder's parameters only/);
  });

  it('read: no write action at all', () => {
    const statements = ssmBackend.grant(location, folder, 'read');
    expect(JSON.stringify(statements)).not.toMatch(/PutParameter|DeleteParameter/);
    expect(statements).toHaveLength(1);
    expect(ssmBackend.grantWords('read')).toMatch(/no ssm:PutParameter/);
  });

  it('the store at the root grants the app and stage folder only', () => {
    const root = parseSsmUrl('ssm://', 'x');
    const text = JSON.stringify(ssmBackend.grant(root, stageFolder(root, 'shop', 'dev'), 'read'));
    expect(text).toContain(':parameter/shop/dev"');
    expect(text).toContain(':parameter/shop/dev/*"');
  });

  it('inside Lambda loads its SDK from the function package', async () => {
    const loaded: string[] = [];
    ssmBackend.coldStart!((pkg) => {
      loaded.push(pkg);
      return { SSMClient: class {} };
    });
    // the loader is taken on first use; this module's state is per test file
    await ssmObjectStore(location, {})
      .list('team/runtime/shop/prod/')
      .catch(() => undefined);
    expect(loaded).toEqual(['@aws-sdk/client-ssm']);
  });
});
