import { describe, expect, it } from 'vitest';
import type { KmsIdentityRecord } from '../../../src/identities/aws-kms.js';
import { awsKmsLambda, kmsDecryptStatements } from '../../../src/identities/aws-kms-lambda.js';

const record = (fields: Partial<KmsIdentityRecord>): KmsIdentityRecord => ({
  type: 'aws-kms',
  id: `aws-kms:${fields.keyId}`,
  created: '2026-01-01T00:00:00Z',
  keyId: 'alias/ci',
  ciphertext: 'AAAA',
  ...fields,
});
const context = { 'kms:EncryptionContext:app': 'shop', 'kms:EncryptionContext:stage': 'prod' };

describe('kmsDecryptStatements', () => {
  it('names each key by its recorded ARN, a key ARN given as id, or a key id in the stack region', () => {
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/0a1b';
    const statements = kmsDecryptStatements(
      [
        record({ keyId: 'alias/ci', keyArn: arn }),
        record({ keyId: 'arn:aws:kms:us-east-1:111122223333:key/9f' }),
        record({ keyId: '1234abcd-12ab', region: 'eu-central-1' }),
        record({ keyId: '5678' }),
      ],
      'shop',
      'prod',
    );
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [
          arn,
          'arn:aws:kms:us-east-1:111122223333:key/9f',
          { 'Fn::Sub': 'arn:${AWS::Partition}:kms:eu-central-1:${AWS::AccountId}:key/1234abcd-12ab' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/5678' },
        ],
        Condition: { StringEquals: context },
      },
    ]);
  });

  it('a key known only by its alias: any key, but only through that alias and the context', () => {
    expect(kmsDecryptStatements([record({ keyId: 'alias/ci' })], 'shop', 'prod')).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: context, 'ForAnyValue:StringEquals': { 'kms:RequestAlias': ['alias/ci'] } },
      },
    ]);
  });
});

describe('awsKmsLambda.refuse', () => {
  it('refuses a key field IAM would read as a wildcard or variable, naming the identity', () => {
    expect(awsKmsLambda.refuse!(record({ id: 'aws-kms:x', keyId: 'alias/*' }), 'prod')).toContain(
      `identity aws-kms:x names its key with "*", which IAM reads as a wildcard or variable`,
    );
    expect(awsKmsLambda.refuse!(record({ keyId: 'alias/ci' }), 'prod')).toBeUndefined();
  });
});
