import { describe, expect, it } from 'vitest';
import { deployDigest } from '../../../src/core/deploy-digest.js';
import { classify, functionLogicalId, receivedNames, serviceTarget } from '../../../src/contract/deployed.js';
import { serviceModel } from '../../../src/contract/service-model.js';

const noLines = { lineOf: () => undefined, strings: [] };
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

describe('receivedNames', () => {
  const model = serviceModel(
    {
      service: 's',
      functions: { all: {}, listed: { secrets: ['B', 'A'] }, none: { secrets: [] }, auto: { secrets: 'auto' } },
    },
    '/app/s/serverless.yml',
    noLines,
  );
  const names = new Set(['A', 'B', 'C']);
  const fn = (n: string) => model.functions.find((f) => f.name === n)!;
  const auto = (n: string) => (n === 'auto' ? ['C'] : undefined);
  it('every stage name without a list; the list; nothing for an empty list; the code scan for auto', () => {
    expect(receivedNames(model, fn('all'), names, auto)).toEqual(['A', 'B', 'C']);
    expect(receivedNames(model, fn('listed'), names, auto)).toEqual(['A', 'B']);
    expect(receivedNames(model, fn('none'), names, auto)).toEqual([]);
    expect(receivedNames(model, fn('auto'), names, auto)).toEqual(['C']);
  });
  it("the service's list narrows functions without their own", () => {
    const narrowed = serviceModel(
      { service: 's', custom: { stageSecrets: { secrets: ['B'] } }, functions: { f: {} } },
      '/app/s/serverless.yml',
      noLines,
    );
    expect(receivedNames(narrowed, narrowed.functions[0]!, names, auto)).toEqual(['B']);
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
