import type { z as zod } from 'zod/v3';
import type { IdentityRecord } from '../core/format.js';

/** What a key source needs to bind a wrapped key to its stage. */
export interface StageContext {
  app: string;
  stage: string;
  /** base64 of the stage public key the private key belongs to */
  publicKey: string;
}

/** The options a user gives to add an identity (init, rewrap): `type` names the kind, the rest is the kind's. */
export interface IdentitySpec {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface WrapResult {
  record: IdentityRecord;
  /** One-time guidance for the user (e.g. how to hand a new local key to CI); never key material. */
  notice?: string;
}

/**
 * One identity record of a stage file, ready to unwrap the stage private key (after age's Identity).
 * Throws StageSecretsError KEY_MISSING / ACCESS_DENIED / INTEGRITY / KEY_UNAVAILABLE.
 */
export interface Identity {
  /** a short human description, e.g. "AWS KMS key alias/ci (eu-west-1)"; never key material */
  readonly description: string;
  unwrap(ctx: StageContext): Promise<Buffer>;
}

/** Wraps a stage private key into an identity record (after age's Recipient). */
export interface Recipient {
  wrap(privateKey: Buffer, ctx: StageContext): Promise<WrapResult>;
}

/** One command-line flag of a kind (init, rewrap). */
export interface IdentityFlag {
  name: string;
  type: 'string' | 'boolean';
  /** a string flag that may be given more than once */
  multiple?: boolean;
  /** the placeholder shown in help, e.g. KEY_ID */
  value?: string;
  /** a flag that only qualifies another (--region goes with --kms): it adds no identity on its own */
  partner?: boolean;
  /** one line of help (wrapped by the reader at about 100 characters) */
  help: string;
}

/** The parsed values of the kinds' flags, by flag name. */
export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** The schema pieces every kind's record shares, so each spells a field's rule once (see records.ts). */
export interface RecordFields {
  /** "KIND:..." : printable ASCII, no spaces */
  id: zod.ZodString;
  created: zod.ZodString;
  base64: zod.ZodString;
  /** printable ASCII, 1 to 2048 characters: fields that messages and CI logs print */
  printable: zod.ZodString;
  /** a key holder's tag over the record (stages/identity-trust.ts); optional: records before 0.x have none */
  auth: zod.ZodOptional<zod.ZodString>;
}

/**
 * Everything about one kind of identity. The kinds are listed in registry.ts; the stage file parser,
 * the CLI, rewrap, verify, list, run and the Lambda runtime bundle read them from there.
 */
export interface IdentityKind<R extends IdentityRecord = IdentityRecord, S extends IdentitySpec = IdentitySpec> {
  /** the record's `type` and the prefix of its ids ("TYPE:...") */
  readonly type: string;
  /**
   * The typed record, built with the zod/v3 instance records.ts passes in: the kind module imports only
   * zod's types, so zod stays out of the Lambda runtime bundle.
   */
  recordSchema(z: typeof zod, fields: RecordFields): zod.ZodTypeAny;
  /**
   * The fields that hold the wrapped stage key: left out of the record's tag (identity-trust.ts), which
   * covers everything else (who the key is wrapped to: recipient, key ARN, region, fingerprint...).
   */
  readonly blobFields: readonly string[];
  /** The id a record must have, derived from its fields (never free text). */
  idOf(record: R): string;
  /**
   * The fields a key holder checks before confirming a record (approve --identities, review, log,
   * textconv): who the stage key is wrapped to, in words, e.g. "recipient age1...". Never key material.
   */
  whoFields(record: R): Array<[string, string]>;
  /**
   * rewrap adds a record whose id the stage already has: a kind may make it a distinct identity (a KMS
   * alias that names a new key now), saying why; undefined: a duplicate, refused.
   */
  distinctFrom?(added: R, existing: R, stage: string): { record: R; notice: string } | undefined;
  /** flags that add an identity of this kind (init, rewrap) */
  readonly flags: readonly IdentityFlag[];
  /** The specs the flag values ask for (none when no flag of the kind is given); throws USAGE. */
  specsFrom(values: FlagValues, command: string): S[];
  /** whether the Lambda runtime wrapper can open a stage with it (it is then part of the runtime bundle) */
  readonly lambdaRuntime: boolean;
  /** the record's wrapped stage key as the header holds it (the package check refuses a package holding it) */
  wrappedKey(record: R): string;
  /** its key is a file or variable on this machine (messages say the identity "is here") */
  readonly keyHere?: boolean;
  /** init makes one of these when no identity flag is given */
  readonly initDefault?: boolean;
  /** how runtime mode uses it (a lambdaRuntime kind): the function role's grant, a cold start's set-up */
  readonly lambda?: LambdaUse<R>;
  /** the env of one quick attempt (set, import and list try a key once, briefly): its retries and timeout */
  quickEnv?(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** whether trying it costs no wait on the network when it cannot be used (set, import, list try such ones) */
  canTryQuickly(record: R, env: NodeJS.ProcessEnv): boolean;
  identity(record: R, env: NodeJS.ProcessEnv): Promise<Identity>;
  /** a spec makes a new identity (init, rewrap); a record wraps a new stage key for it, keeping its id (rotate) */
  recipient(target: S | R, env: NodeJS.ProcessEnv): Promise<Recipient>;
  /** one line for verify and list; never key material */
  describe(record: R): string;
  /** whether `rewrap --remove ID` names this record (ID as typed: "TYPE:..."); ids compare exactly by default */
  matchesRemove?(record: R, id: string): boolean;
  /** said when a record is removed (rewrap --remove) */
  removalNotice?(record: R, stage: string): string;
  /**
   * A key of this kind set for the stage in the env that belongs to none of its records (`records`: the
   * stage's of this kind): a sign the file's identities were changed. Said as "ENV holds ..." plus a fix.
   */
  strayKey?(records: readonly R[], stage: string, env: NodeJS.ProcessEnv): { holder: string; fix: string } | undefined;
  /** env variables holding key material of this kind: run never passes them to its child */
  isKeyVariable?(name: string): boolean;
  /** key texts this process may have read for these records (env and files): run masks them in its child's output */
  keyTexts?(records: readonly R[], env: NodeJS.ProcessEnv): string[];
}

/** What runtime mode needs of a kind a deployed function opens its stage with (runtime-mode, open-packaged). */
export interface LambdaUse<R extends IdentityRecord = IdentityRecord> {
  /** the flag that adds such an identity, for messages: "--kms KEY_ID" */
  readonly addFlag: string;
  /** what the function's role is granted, in words for messages: "kms:Decrypt" */
  readonly action: string;
  /** the IAM statements that let a function's role unwrap the stage key with these records, and nothing else */
  grant(records: readonly R[], app: string, stage: string): Record<string, unknown>[];
  /** why a record must not go into that grant (a field IAM reads as a wildcard), or undefined */
  refuse?(record: R, stage: string): string | undefined;
  /** a cold start: load the kind's SDK from the function's package (`load`); returns env defaults (timeouts) */
  coldStart?(load: (pkg: string) => unknown): Record<string, string>;
}
