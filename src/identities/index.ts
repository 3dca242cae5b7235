import { StageSecretsError } from '../core/errors.js';
import type { IdentityRecord } from '../core/format.js';
import { IDENTITY_KINDS } from './registry.js';
import type { FlagValues, Identity, IdentityFlag, IdentityKind, IdentitySpec, Recipient } from './types.js';

export type {
  FlagValues,
  Identity,
  IdentityFlag,
  IdentityKind,
  IdentitySpec,
  Recipient,
  StageContext,
  WrapResult,
} from './types.js';

/** The kind of a record or spec; a type no kind has (a newer stage-secrets, or a hand edit) is refused. */
export function kindOf(target: { type: string }): IdentityKind {
  const kind = IDENTITY_KINDS.find((k) => k.type === target.type);
  if (!kind) {
    const known = IDENTITY_KINDS.map((k) => k.type).join(', ');
    throw new StageSecretsError(
      'FORMAT',
      `identity type ${target.type} is not one this stage-secrets knows (${known}).`,
    );
  }
  return kind;
}

/** The identity a record of a stage file stands for. */
export function identityOf(record: IdentityRecord, env: NodeJS.ProcessEnv): Promise<Identity> {
  return kindOf(record).identity(record, env);
}

/**
 * Who to wrap a stage private key for: a spec makes a new identity (init, rewrap); a record wraps a
 * new key for an identity the stage already has (rotate), keeping its id.
 */
export function recipientFor(target: IdentitySpec | IdentityRecord, env: NodeJS.ProcessEnv): Promise<Recipient> {
  return kindOf(target).recipient(target as IdentityRecord, env);
}

/** Whether trying this identity costs no wait on the network when it cannot be used (see IdentityKind). */
export function canTryQuickly(record: IdentityRecord, env: NodeJS.ProcessEnv): boolean {
  return kindOf(record).canTryQuickly(record, env);
}

/** A record in words, for verify and list. */
export function describeIdentity(record: IdentityRecord): string {
  return kindOf(record).describe(record);
}

/** Whether `rewrap --remove ID` names this record. */
export function matchesRemove(record: IdentityRecord, id: string): boolean {
  const kind = kindOf(record);
  return kind.matchesRemove ? kind.matchesRemove(record, id) : record.id === id;
}

/** What to tell the user when a record is removed, if its kind has something to say. */
export function removalNotice(record: IdentityRecord, stage: string): string | undefined {
  return kindOf(record).removalNotice?.(record, stage);
}

/** The flags of every kind, in registry order (init and rewrap take them). */
export function identityFlags(): IdentityFlag[] {
  return IDENTITY_KINDS.flatMap((kind) => kind.flags);
}

/** The specs the flag values ask for, in registry order. */
export function identitySpecs(values: FlagValues, command: string): IdentitySpec[] {
  return IDENTITY_KINDS.flatMap((kind) => kind.specsFrom(values, command));
}

/** Whether an env variable holds key material of some kind (run never hands it to its child). */
export function isKeyVariable(name: string): boolean {
  return IDENTITY_KINDS.some((kind) => kind.isKeyVariable?.(name) === true);
}

/** Key texts this process may have read for the stage's records: run masks them in its child's output. */
export function keyTexts(records: readonly IdentityRecord[], env: NodeJS.ProcessEnv): string[] {
  return IDENTITY_KINDS.flatMap(
    (kind) =>
      kind.keyTexts?.(
        records.filter((r) => r.type === kind.type),
        env,
      ) ?? [],
  );
}

/** A key set in the env for the stage that is none of its identities (see IdentityKind.strayKey). */
export function strayKey(
  records: readonly IdentityRecord[],
  stage: string,
  env: NodeJS.ProcessEnv,
): { holder: string; fix: string } | undefined {
  for (const kind of IDENTITY_KINDS) {
    const stray = kind.strayKey?.(
      records.filter((r) => r.type === kind.type),
      stage,
      env,
    );
    if (stray) return stray;
  }
  return undefined;
}

/** The fields that hold the wrapped key, which a record's tag leaves out. */
export function blobFields(record: IdentityRecord): readonly string[] {
  return kindOf(record).blobFields;
}

/** The id a record must have, derived from its fields. */
export function derivedId(record: IdentityRecord): string {
  return kindOf(record).idOf(record);
}

/** Who the stage key is wrapped to, field by field (recipient, key ARN, region...): what a key holder confirms. */
export function whoFields(record: IdentityRecord): Array<[string, string]> {
  return kindOf(record).whoFields(record);
}

/** A record that rewrap adds under an id the stage has, made distinct when its kind says why; else undefined. */
export function distinctFrom(
  added: IdentityRecord,
  existing: IdentityRecord,
  stage: string,
): { record: IdentityRecord; notice: string } | undefined {
  return kindOf(added).distinctFrom?.(added, existing, stage);
}

/** The kinds runtime mode can give a deployed function (lambdaRuntime, with their Lambda use). */
export function lambdaKinds(): IdentityKind[] {
  return IDENTITY_KINDS.filter((kind) => kind.lambdaRuntime && kind.lambda !== undefined);
}

/** The IAM statements that let a function's role unwrap the stage key with these records (each kind's own). */
export function lambdaGrant(records: readonly IdentityRecord[], app: string, stage: string): Record<string, unknown>[] {
  return lambdaKinds().flatMap((kind) => {
    const own = records.filter((r) => r.type === kind.type);
    return own.length ? kind.lambda!.grant(own, app, stage) : [];
  });
}

/** The record's wrapped stage key as the header holds it. */
export function wrappedKeyOf(record: IdentityRecord): string {
  return kindOf(record).wrappedKey(record);
}

/** Whether the record's key is a file or variable on this machine. */
export function keyIsHere(record: IdentityRecord): boolean {
  return kindOf(record).keyHere === true;
}

/** What init makes when no identity flag is given. */
export function initDefaultSpec(): IdentitySpec {
  const kind = IDENTITY_KINDS.find((k) => k.initDefault);
  if (!kind) throw new StageSecretsError('USAGE', "no identity kind is init's default: give an identity flag.");
  return { type: kind.type };
}

/** The env of one quick attempt at any of these records (each kind's retries and timeout for it). */
export function quickEnv(records: readonly IdentityRecord[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  let quick = env;
  for (const kind of IDENTITY_KINDS)
    if (records.some((r) => r.type === kind.type)) quick = kind.quickEnv?.(quick) ?? quick;
  return quick;
}
