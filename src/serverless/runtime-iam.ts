import { parseReferenceTarget, referenceGrants, type ReferenceTarget } from '../aws/references.js';
import type { IamStatement } from '../core/iam.js';
import type { SecretValue } from '../core/values.js';
import { runtimeStoreBackendOf, type RuntimeStoreAccess, type RuntimeStoreLocation } from '../stages/runtime-store.js';
import type { ServiceConfig } from './types.js';

export { type IamStatement, iamUnsafeCharacter } from '../core/iam.js';

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
export type { RuntimeStoreAccess } from '../stages/runtime-store.js';

/**
 * The statements that let a function's role use one stage's folder of the runtime store, and nothing
 * else: whatever its backend needs (runtime-store/backends.ts). `folder` is the store's stage folder (stageFolder).
 */
export function runtimeStoreStatements(
  location: RuntimeStoreLocation,
  folder: string,
  access: RuntimeStoreAccess,
): IamStatement[] {
  return runtimeStoreBackendOf(location).grant(location, folder, access);
}

/**
 * The reference entries among a stage's opened values: name → target. The plugin learns the targets by
 * opening the stage with its key at package time, which it does in runtime mode as in env mode (the package
 * carries the entries sealed, and the plugin has already decrypted them to select and digest them): a
 * keyless build cannot package runtime mode at all, so no grant on a prefix is needed.
 */
export function referenceTargets(values: ReadonlyMap<string, SecretValue>): Map<string, ReferenceTarget> {
  const targets = new Map<string, ReferenceTarget>();
  for (const [name, value] of values) {
    if ((value as { ref?: unknown }).ref === true)
      targets.set(name, parseReferenceTarget(value.text, `the reference of ${name}`));
  }
  return targets;
}

/**
 * What lets the functions resolve the references they receive at cold start: ssm:GetParameters and
 * secretsmanager:GetSecretValue on exactly those targets, and kms:Decrypt on `keys`
 * (custom.stageSecrets.referenceKeys: the customer managed keys of those targets; the plugin does not ask
 * AWS which key a parameter uses, so packaging needs no read access to the targets). `names` are the
 * names the wrapped functions receive.
 */
export function referenceStatements(
  names: Iterable<string>,
  references: ReadonlyMap<string, ReferenceTarget>,
  keys: readonly string[] = [],
): { statements: IamStatement[]; targets: ReferenceTarget[] } {
  const targets = [...new Set(names)].sort().flatMap((name) => references.get(name) ?? []);
  return { statements: targets.length ? referenceGrants(targets, keys) : [], targets };
}
