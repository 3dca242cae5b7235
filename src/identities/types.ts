import type { IdentityRecord } from '../core/format.js';

/** What a key source needs to bind a wrapped key to its stage. */
export interface StageContext {
  app: string;
  stage: string;
  /** base64 of the stage public key the private key belongs to */
  publicKey: string;
}

/** The options a user gives to add an identity (init, rewrap). */
export type IdentitySpec = { type: 'local' } | { type: 'aws-kms'; keyId: string; region?: string };

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
