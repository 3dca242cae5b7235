import type { IdentityRecord } from '../core/format.js';

/** What a key provider needs to bind a wrapped key to its stage. */
export interface StageContext {
  app: string;
  stage: string;
  /** base64 of the stage public key the private key belongs to */
  publicKey: string;
}

/** The options a user gives to add an identity (init, rewrap). */
export type IdentitySpec =
  | { type: 'local' }
  | { type: 'aws-kms'; keyId: string; region?: string };

export interface WrapResult {
  record: IdentityRecord;
  /** One-time guidance for the user (e.g. how to hand a new local key to CI); never key material. */
  notice?: string;
}

/**
 * One interface for every key source (after sops' key groups): wrap the stage private key for a new
 * identity record, rewrap it for an existing record, unwrap it from a record.
 */
export interface KeyProvider {
  readonly type: IdentityRecord['type'];
  /** Creates a new identity (a new local key, or a KMS key named by the user) and wraps the key. */
  create(spec: IdentitySpec, privateKey: Buffer, ctx: StageContext): Promise<WrapResult>;
  /** Wraps a new private key for an identity that already exists (rotate). */
  rewrap(record: IdentityRecord, privateKey: Buffer, ctx: StageContext): Promise<IdentityRecord>;
  /** Returns the raw private key. Throws StageSecretsError KEY_MISSING / ACCESS_DENIED / INTEGRITY / KEY_UNAVAILABLE. */
  unwrap(record: IdentityRecord, ctx: StageContext): Promise<Buffer>;
  /** A short human description of a record, e.g. "local key 1a2b… (env STAGE_SECRETS_KEY_DEV)". */
  describe(record: IdentityRecord): string;
}
