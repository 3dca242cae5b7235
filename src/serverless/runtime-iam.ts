import type { KmsIdentityRecord } from '../identities/aws-kms.js';
import { regionOfArn } from '../identities/aws-kms-client.js';
import { storeBackendOf, type StoreAccess, type StoreLocation } from '../stages/runtime-store.js';
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
export type { StoreAccess } from '../stages/runtime-store.js';

/**
 * The statements that let a function's role use one stage's folder of the runtime store, and nothing
 * else: whatever its backend needs (store/backends.ts). `folder` is the store's stage folder (stageFolder).
 */
export function storeStatements(location: StoreLocation, folder: string, access: StoreAccess): IamStatement[] {
  return storeBackendOf(location).grant(location, folder, access);
}

/** Characters IAM reads as wildcards or policy variables: a store folder holding one would widen the grant. */
export function iamUnsafeCharacter(folder: string): string | undefined {
  return /[*?$]/.exec(folder)?.[0];
}
