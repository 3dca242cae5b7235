import type { KmsIdentityRecord } from '../identities/aws-kms.js';
import { regionOfArn } from '../identities/aws-kms-client.js';
import type { ServiceConfig } from './types.js';

export type IamStatement = Record<string, unknown>;

/** The key a KMS identity names, as an IAM resource: its ARN when known, else built from its id. */
function keyResource(record: KmsIdentityRecord): unknown {
  if (record.keyArn) return record.keyArn;
  if (/^arn:aws[a-z-]*:kms:[^:]+:\d+:key\//.test(record.keyId)) return record.keyId;
  if (record.keyId.startsWith('alias/') || regionOfArn(record.keyId)) return undefined; // an alias: see aliasStatement
  const region = record.region ?? '${AWS::Region}';
  return { 'Fn::Sub': `arn:\${AWS::Partition}:kms:${region}:\${AWS::AccountId}:key/${record.keyId}` };
}

/**
 * The statements that let a function's role unwrap its stage key, and nothing else: kms:Decrypt on the
 * stage's keys, only with the encryption context {app, stage} the key was wrapped under.
 */
export function kmsDecryptStatements(identities: KmsIdentityRecord[], app: string, stage: string): IamStatement[] {
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
    // A key recorded only by alias (no ARN came back at init): IAM cannot name it, so the alias the
    // runtime sends with Decrypt is the condition.
    statements.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: context, 'ForAnyValue:StringEquals': { 'kms:RequestAlias': aliases } },
    });
  }
  return statements;
}

type ProviderIam = { role?: unknown; [key: string]: unknown };

/**
 * Adds the statements to the role the framework makes for the service: provider.iam.role.statements,
 * or the older provider.iamRoleStatements when the service uses that. Returns false when the service
 * brings its own role (provider.iam.role is an ARN or a reference), which the plugin cannot change.
 */
export function addToServiceRole(service: ServiceConfig, statements: IamStatement[]): boolean {
  const provider = service.provider as ServiceConfig['provider'] & {
    iam?: ProviderIam;
    iamRoleStatements?: unknown[];
    role?: unknown;
  };
  if (provider.role !== undefined) return false;
  const iam = provider.iam;
  const role = iam?.role;
  if (
    role !== undefined &&
    (typeof role !== 'object' ||
      role === null ||
      Array.isArray(role) ||
      Object.keys(role).some((k) => k.startsWith('Fn::') || k === 'Ref'))
  ) {
    return false;
  }
  if (Array.isArray(provider.iamRoleStatements) && !(role as { statements?: unknown } | undefined)?.statements) {
    provider.iamRoleStatements.push(...statements);
    return true;
  }
  provider.iam = iam ?? {};
  const roleObject = (provider.iam.role ??= {}) as { statements?: unknown[] };
  roleObject.statements = [...(roleObject.statements ?? []), ...statements];
  return true;
}

/**
 * What a deployment may do with its store folder: a stage on its own stage file reads and updates it;
 * a preview stage on a fallback stage's file only reads it, so unmerged code cannot change the values
 * the fallback stage's own functions read.
 */
export type StoreAccess = 'read-write' | 'read';

/**
 * The statements that let a function's role use one stage's objects of the runtime store, and nothing
 * else: GetObject (and PutObject for 'read-write') under `PREFIX/<app>/<stage>/`, and ListBucket limited
 * to that prefix (the client lists the folder, and without ListBucket S3 answers a missing object with
 * 403 instead of 404). `folder` is the store's stage folder (s3-location.ts stageFolder).
 */
export function storeStatements(bucket: string, folder: string, access: StoreAccess): IamStatement[] {
  return [
    {
      Effect: 'Allow',
      Action: access === 'read-write' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      Resource: `arn:aws:s3:::${bucket}/${folder}*`,
    },
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: `arn:aws:s3:::${bucket}`,
      Condition: { StringLike: { 's3:prefix': `${folder}*` } },
    },
  ];
}

/** Characters IAM reads as wildcards or policy variables: a store folder holding one would widen the grant. */
export function iamUnsafeCharacter(folder: string): string | undefined {
  return /[*?$]/.exec(folder)?.[0];
}
