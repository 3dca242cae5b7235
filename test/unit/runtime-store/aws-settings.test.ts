import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import {
  awsClientSettings,
  awsStoreError,
  secretNameOfKey,
  type StoreErrorContext,
} from '../../../src/runtime-store/aws-settings.js';

const ctx: StoreErrorContext = {
  service: 'SSM',
  operation: 'PutParameter',
  url: 'ssm://team',
  where: 'ssm://team/shop/dev/TOKEN/2',
  needs: 'ssm:PutParameter on parameter/team/<app>/<stage>/*',
  endpointVar: 'AWS_ENDPOINT_URL_SSM',
};

function sdkError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened for arn:aws:ssm:x`), {
    name,
    $metadata: { httpStatusCode: status, attempts: 3 },
    ...extra,
  });
}

describe('AWS client settings from the env the client was given', () => {
  it('takes the service endpoint first, then AWS_ENDPOINT_URL; none when configured endpoints are ignored', () => {
    const env = { AWS_ENDPOINT_URL: 'http://all', AWS_ENDPOINT_URL_SSM: 'http://ssm', AWS_REGION: 'eu-west-1' };
    expect(awsClientSettings(env, 'AWS_ENDPOINT_URL_SSM')).toMatchObject({
      endpoint: 'http://ssm',
      region: 'eu-west-1',
    });
    expect(awsClientSettings(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER').endpoint).toBe('http://all');
    expect(
      awsClientSettings({ ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, 'AWS_ENDPOINT_URL_SSM').endpoint,
    ).toBeUndefined();
  });

  it('passes keys only as a pair, bounds attempts to 1-10 (default 3), and keys the client cache by them', () => {
    expect(awsClientSettings({ AWS_ACCESS_KEY_ID: 'A' }, 'X').credentials).toBeUndefined();
    const keyed = awsClientSettings(
      { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T' },
      'X',
    );
    expect(keyed.credentials).toEqual({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' });
    expect(keyed.cacheKey).not.toContain('S"');
    expect(awsClientSettings({}, 'X').maxAttempts).toBe(3);
    expect(awsClientSettings({ AWS_MAX_ATTEMPTS: '40' }, 'X').maxAttempts).toBe(10);
    expect(awsClientSettings({ AWS_MAX_ATTEMPTS: '1' }, 'X').maxAttempts).toBe(1);
    expect(awsClientSettings({ AWS_REGION: 'a' }, 'X').cacheKey).not.toBe(
      awsClientSettings({ AWS_REGION: 'b' }, 'X').cacheKey,
    );
  });
});

describe('AWS store errors', () => {
  it('a denial names the operation, the object and the grant it lacks', () => {
    const e = awsStoreError(sdkError('AccessDeniedException', 400), ctx);
    expect(e).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(e.message).toMatch(
      /^access denied to the runtime store \(PutParameter on ssm:\/\/team\/shop\/dev\/TOKEN\/2\): the AWS identity needs ssm:PutParameter on parameter\/team\/<app>\/<stage>\/\*.*Nothing was written\. SSM said: AccessDeniedException happened/,
    );
    expect(awsStoreError(sdkError('Whatever', 403), ctx).code).toBe('ACCESS_DENIED');
  });

  it('unreachable, throttled or failing: IO, with the attempts and the endpoint variable to check', () => {
    const refused = awsStoreError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), ctx);
    expect(refused).toMatchObject({ code: 'IO' });
    expect(refused.message).toMatch(/could not be reached for PutParameter \(last: ECONNREFUSED.*AWS_ENDPOINT_URL_SSM/);
    expect(awsStoreError(sdkError('ThrottlingException', 400), ctx).message).toMatch(
      /after 3 attempts \(last: ThrottlingException, HTTP 400\)/,
    );
    expect(awsStoreError(sdkError('InternalServerError', 500), ctx).code).toBe('IO');
  });

  it('no region, no credentials: the setting to give', () => {
    expect(awsStoreError(new Error('Region is missing'), ctx)).toMatchObject({ code: 'USAGE' });
    expect(awsStoreError(sdkError('CredentialsProviderError', 0), ctx).message).toMatch(/no AWS credentials/);
  });

  it('keeps an error of ours as it is; anything else is IO naming the service', () => {
    const ours = new StageSecretsError('FORMAT', 'x');
    expect(awsStoreError(ours, ctx)).toBe(ours);
    expect(awsStoreError(sdkError('ValidationException', 400), ctx).message).toMatch(
      /^PutParameter on the runtime store failed for ssm:\/\/team\/shop\/dev\/TOKEN\/2 \(ValidationException\)\. Nothing was written\. SSM said:/,
    );
  });

  it('names the secret of an object key', () => {
    expect(secretNameOfKey('team/shop/dev/TOKEN.json')).toBe('TOKEN');
  });
});
