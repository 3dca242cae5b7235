import type { IamStatement } from '../core/iam.js';
import { iamUnsafeCharacter } from '../core/iam.js';
import type { KmsIdentityRecord } from './aws-kms.js';
import { type KmsSdk, regionOfArn, setKmsSdkLoader } from './aws-kms-client.js';
import type { LambdaUse } from './types.js';

/** The key a KMS identity names, as an IAM resource: its ARN when known, else built from its id. */
function keyResource(record: KmsIdentityRecord): unknown {
  if (record.keyArn) return record.keyArn;
  if (/^arn:aws[a-z-]*:kms:[^:]+:\d+:key\//.test(record.keyId)) return record.keyId;
  if (record.keyId.startsWith('alias/') || regionOfArn(record.keyId)) return undefined; // an alias: see below
  const region = record.region ?? '${AWS::Region}';
  return { 'Fn::Sub': `arn:\${AWS::Partition}:kms:${region}:\${AWS::AccountId}:key/${record.keyId}` };
}

/**
 * The statements that let a function's role unwrap its stage key, and nothing else: kms:Decrypt on the
 * stage's keys, only with the encryption context {app, stage} the key was wrapped under.
 */
export function kmsDecryptStatements(
  identities: readonly KmsIdentityRecord[],
  app: string,
  stage: string,
): IamStatement[] {
  const context = { 'kms:EncryptionContext:app': app, 'kms:EncryptionContext:stage': stage };
  const resources = identities.map(keyResource).filter((r) => r !== undefined);
  const aliases = identities.filter((r) => keyResource(r) === undefined).map((r) => r.keyId);
  const statements: IamStatement[] = [];
  if (resources.length) {
    statements.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: resources,
      Condition: { StringEquals: context },
    });
  }
  if (aliases.length) {
    statements.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: context, 'ForAnyValue:StringEquals': { 'kms:RequestAlias': aliases } },
    });
  }
  return statements;
}

/** In Lambda a cold start should fail in seconds, not retry for a minute; the env still overrides. */
const LAMBDA_KMS_DEFAULTS = { STAGE_SECRETS_KMS_MAX_ATTEMPTS: '3', STAGE_SECRETS_KMS_TIMEOUT_MS: '3000' };

/** How runtime mode uses a KMS identity: the function's role gets kms:Decrypt, the SDK comes from its package. */
export const awsKmsLambda: LambdaUse<KmsIdentityRecord> = {
  addFlag: '--kms KEY_ID',
  action: 'kms:Decrypt',
  grant: kmsDecryptStatements,
  refuse(record, stage) {
    // The build opens the stage with the first identity that works, so an added one is never tried there;
    // its key fields go into the role's policy as they are, where a wildcard or variable would reach other keys.
    const unsafe = [record.keyId, record.keyArn, record.region]
      .map((field) => (field === undefined ? undefined : iamUnsafeCharacter(field)))
      .find(Boolean);
    return unsafe
      ? `stage ${stage}'s identity ${record.id} names its key with ${JSON.stringify(unsafe)}, which IAM reads as a wildcard or variable, so the functions' kms:Decrypt grant would reach other keys.`
      : undefined;
  },
  coldStart(load) {
    setKmsSdkLoader(async () => load('@aws-sdk/client-kms') as KmsSdk);
    return LAMBDA_KMS_DEFAULTS;
  },
};
