import { describe, expect, it } from 'vitest';
import { deployDigest } from '../../../src/core/deploy-digest.js';
import { classify, functionLogicalId, serviceTarget } from '../../../src/contract/deployed.js';

const file = {
  app: 'shop',
  stage: 'dev',
  secrets: {} as Record<string, never>,
};

describe('classify', () => {
  const expected = deployDigest(file, []);
  it('current when the record is the digest of what the function would get now', () => {
    expect(classify(expected, { deployed: true, record: expected })).toEqual({ state: 'current' });
  });
  it('stale when the record is another digest', () => {
    const older = deployDigest({ ...file, stage: 'older' }, []);
    expect(classify(expected, { deployed: true, record: older })).toMatchObject({ state: 'stale' });
  });
  it('not deployed, unknown without a record or with one the plugin does not write, current when opted out', () => {
    expect(classify(expected, { deployed: false })).toEqual({ state: 'not deployed' });
    expect(classify(expected, { deployed: true, record: undefined })).toMatchObject({
      state: 'unknown',
      note: 'deployed without the stage-secrets plugin',
    });
    expect(classify(expected, { deployed: true, record: 'v1.forged' })).toMatchObject({ state: 'unknown' });
    expect(classify(expected, { deployed: true, record: 'off' })).toMatchObject({
      state: 'current',
      note: expect.stringMatching(/opted out/),
    });
  });
});

describe('functionLogicalId', () => {
  it("is serverless' logical id of a function", () => {
    expect(functionLogicalId('api')).toBe('ApiLambdaFunction');
    expect(functionLogicalId('apiOnly')).toBe('ApiOnlyLambdaFunction');
    expect(functionLogicalId('get-user_v2')).toBe('GetDashuserUnderscorev2LambdaFunction');
  });
});

describe('serviceTarget', () => {
  it('SERVICE-STAGE in the region the config names, else AWS_REGION, else us-east-1; --region wins', () => {
    const config = { service: 'shop', provider: { region: 'eu-west-1' } };
    expect(serviceTarget(config, 'dev', undefined, {})).toEqual({ stackName: 'shop-dev', region: 'eu-west-1' });
    expect(serviceTarget(config, 'dev', 'us-west-2', {})).toEqual({ stackName: 'shop-dev', region: 'us-west-2' });
    expect(serviceTarget({ service: 'shop' }, 'dev', undefined, { AWS_REGION: 'ap-south-1' }).region).toBe(
      'ap-south-1',
    );
    expect(serviceTarget({ service: 'shop' }, 'dev', undefined, {}).region).toBe('us-east-1');
    expect(serviceTarget({ service: 'shop', provider: { stackName: 'custom' } }, 'dev', undefined, {}).stackName).toBe(
      'custom',
    );
  });
  it('no stack name when the config names the service or stack with a variable', () => {
    expect(serviceTarget({ service: '${env:NAME}' }, 'dev', undefined, {}).stackName).toBeUndefined();
    expect(
      serviceTarget({ service: 'shop', provider: { stackName: '${self:service}-x' } }, 'dev', undefined, {}).stackName,
    ).toBeUndefined();
  });
});
