import { describe, expect, it } from 'vitest';
import {
  addToServiceRole,
  iamUnsafeCharacter,
  referenceStatements,
  referenceTargets,
  runtimeStoreStatements,
} from '../../../src/serverless/runtime-iam.js';
import type { SecretValue } from '../../../src/core/values.js';
import type { ServiceConfig } from '../../../src/serverless/types.js';
import { parseRuntimeStoreUrl } from '../../../src/runtime-store/backends.js';

const service = (provider: Record<string, unknown>): ServiceConfig => ({ service: 'shop', provider: { ...provider } });

describe('addToServiceRole', () => {
  const statement = { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: ['arn'] };

  it('appends to provider.iam.role.statements, creating them', () => {
    const empty = service({});
    expect(addToServiceRole(empty, [statement])).toBe(true);
    expect(empty.provider).toEqual({ iam: { role: { statements: [statement] } } });
    const existing = service({
      iam: { role: { statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } },
    });
    addToServiceRole(existing, [statement]);
    expect((existing.provider as { iam: { role: { statements: unknown[] } } }).iam.role.statements).toHaveLength(2);
  });

  it('uses the older provider.iamRoleStatements when the service does', () => {
    const old = service({ iamRoleStatements: [] });
    expect(addToServiceRole(old, [statement])).toBe(true);
    expect(old.provider).toEqual({ iamRoleStatements: [statement] });
  });

  it('leaves a role the service brings (an ARN, a reference) alone and says so', () => {
    expect(addToServiceRole(service({ iam: { role: 'arn:aws:iam::1:role/app' } }), [statement])).toBe(false);
    expect(addToServiceRole(service({ iam: { role: { 'Fn::GetAtt': ['AppRole', 'Arn'] } } }), [statement])).toBe(false);
    expect(addToServiceRole(service({ role: 'arn:aws:iam::1:role/app' }), [statement])).toBe(false);
  });
});

describe('runtimeStoreStatements', () => {
  it('GetObject and PutObject under the stage folder only, ListBucket on the bucket only for that prefix', () => {
    expect(
      runtimeStoreStatements(parseRuntimeStoreUrl('s3://runtime-secrets', 'test'), 'team/shop/prod/', 'read-write'),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::runtime-secrets/team/shop/prod/*',
      },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::runtime-secrets',
        Condition: { StringLike: { 's3:prefix': 'team/shop/prod/*' } },
      },
    ]);
  });

  it('read only (a preview stage on a fallback stage file): GetObject under the folder and the same ListBucket, no PutObject anywhere', () => {
    const statements = runtimeStoreStatements(
      parseRuntimeStoreUrl('s3://runtime-secrets', 'test'),
      'team/shop/dev/',
      'read',
    );
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::runtime-secrets/team/shop/dev/*' },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::runtime-secrets',
        Condition: { StringLike: { 's3:prefix': 'team/shop/dev/*' } },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('Put');
  });

  it("a store at the bucket's root still limits the grant to the app and stage", () => {
    const [objects, list] = runtimeStoreStatements(parseRuntimeStoreUrl('s3://b-1', 'test'), 'shop/dev/', 'read-write');
    expect(objects!.Resource).toBe('arn:aws:s3:::b-1/shop/dev/*');
    expect(list!.Condition).toEqual({ StringLike: { 's3:prefix': 'shop/dev/*' } });
  });

  it("an ssm:// or secretsmanager:// store: that backend's statements, on the stage folder's ARNs only", () => {
    const ssm = JSON.stringify(
      runtimeStoreStatements(parseRuntimeStoreUrl('ssm://team', 'test'), 'team/shop/dev/', 'read'),
    );
    expect(ssm).toContain(':parameter/team/shop/dev/*"');
    expect(ssm).not.toMatch(/s3:|PutParameter/);
    const sm = runtimeStoreStatements(
      parseRuntimeStoreUrl('secretsmanager://team', 'test'),
      'team/shop/dev/',
      'read-write',
    );
    expect(sm.map((s) => s.Resource)).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:team/shop/dev/*' },
      '*',
    ]);
  });

  it('finds the characters IAM reads as wildcards or variables in a folder', () => {
    expect(iamUnsafeCharacter('team/shop/prod/')).toBeUndefined();
    expect(iamUnsafeCharacter('team/sh*p/prod/')).toBe('*');
    expect(iamUnsafeCharacter('te?m/shop/prod/')).toBe('?');
    expect(iamUnsafeCharacter('${aws:username}/shop/prod/')).toBe('$');
  });

  it('go into the service role next to kms:Decrypt', () => {
    const svc = service({
      iam: { role: { statements: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }] } },
    });
    expect(
      addToServiceRole(
        svc,
        runtimeStoreStatements(parseRuntimeStoreUrl('s3://b-1', 'test'), 'p/shop/dev/', 'read-write'),
      ),
    ).toBe(true);
    const statements = (svc.provider as { iam: { role: { statements: Array<{ Action: string[] }> } } }).iam.role
      .statements;
    expect(statements.map((s) => s.Action)).toEqual([
      ['sqs:SendMessage'],
      ['s3:GetObject', 's3:PutObject'],
      ['s3:ListBucket'],
    ]);
  });
});

describe('referenceTargets and referenceStatements: runtime mode grants on the references functions receive', () => {
  const ref = (text: string) => ({ type: 'string', text, ref: true }) as SecretValue;
  const values = new Map<string, SecretValue>([
    ['PLAIN', { type: 'string', text: 'ssm:/looks/like/a/ref' }],
    ['STRIPE', ref('ssm:/org/shared/stripe')],
    ['DB', ref('secretsmanager:prod/db#password')],
    ['UNUSED', ref('ssm:/org/shared/unused')],
  ]);

  it('reads the targets of reference entries only: a value that looks like a target is a value', () => {
    const targets = referenceTargets(values);
    expect([...targets.keys()]).toEqual(['STRIPE', 'DB', 'UNUSED']);
    expect(targets.get('DB')).toEqual({
      store: 'secretsmanager',
      id: 'prod/db',
      key: 'password',
      text: 'secretsmanager:prod/db#password',
    });
  });

  it('refuses a sealed target that is not a reference, naming the secret', () => {
    expect(() => referenceTargets(new Map([['BAD', ref('ssm:relative')]]))).toThrow(/reference of BAD/);
  });

  it("grants on the targets of the names received, not on the stage's other references", () => {
    const { statements, targets } = referenceStatements(['PLAIN', 'STRIPE', 'DB', 'STRIPE'], referenceTargets(values));
    expect(targets.map((t) => t.text)).toEqual(['secretsmanager:prod/db#password', 'ssm:/org/shared/stripe']);
    const text = JSON.stringify(statements);
    expect(text).toContain('parameter/org/shared/stripe');
    expect(text).toContain('secret:prod/db-??????');
    expect(text).not.toContain('unused');
    expect(text).not.toContain('looks');
    expect(text).not.toContain('"*"');
    expect(statements.map((st) => st.Action)).toEqual([['ssm:GetParameters'], ['secretsmanager:GetSecretValue']]);
  });

  it('adds kms:Decrypt on referenceKeys only when a received name is a reference', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234';
    expect(referenceStatements(['STRIPE'], referenceTargets(values), [key]).statements.at(-1)).toMatchObject({
      Action: ['kms:Decrypt'],
      Resource: [key],
    });
    expect(referenceStatements(['PLAIN'], referenceTargets(values), [key])).toEqual({ statements: [], targets: [] });
  });
});
