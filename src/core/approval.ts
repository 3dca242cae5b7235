import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { associatedData, FORMAT_TAG, hkdf } from './crypto.js';

/** What an approval is bound to: the stage, and its keypair (a new keypair voids old approvals). */
export interface ApprovalContext {
  app: string;
  stage: string;
  /** base64 of the stage public key */
  publicKey: string;
}

/** The approval epoch of a stage file without an `approvalEpoch` line (every file before revocation existed). */
export const FIRST_APPROVAL_EPOCH = 0;

/**
 * Approval tags: HMAC-SHA256 under a key derived from the stage private key, so only a key holder can
 * make one, over (format tag, app, stage, public key, name, approval epoch). Per name, so a value
 * replacement keeps its approval and approvals merge like entries; a tag copied to another name or stage
 * does not verify. The epoch is what revocation bumps: a tag of an earlier epoch, replayed from git
 * history, no longer verifies. Each epoch from 1 on also has a random salt, so two revocations made on
 * two branches (both epoch N) do not share tags. Epoch 0 tags are computed as before epochs existed,
 * so old files verify.
 */
export class Approvals {
  #key: Buffer;
  readonly #ctx: ApprovalContext;
  readonly epoch: number;
  /** base64, 16 random bytes; none at epoch 0 */
  readonly salt: string | undefined;

  constructor(stagePrivateKey: Buffer, ctx: ApprovalContext, epoch = FIRST_APPROVAL_EPOCH, salt?: string) {
    this.#key = hkdf(stagePrivateKey, Buffer.from(ctx.publicKey, 'base64'), `${FORMAT_TAG} approval-key`);
    this.#ctx = ctx;
    this.epoch = epoch;
    this.salt = epoch === FIRST_APPROVAL_EPOCH ? undefined : salt;
  }

  /** The same key and stage at another epoch (as a stage file records it). */
  atEpoch(epoch: number, salt: string): Approvals {
    const next = new Approvals(Buffer.alloc(32), this.#ctx, epoch, salt);
    next.#key = this.#key;
    return next;
  }

  /** The epoch after this one, with a fresh salt (what approve --revoke / --close re-tag under). */
  nextEpoch(): Approvals {
    return this.atEpoch(this.epoch + 1, randomBytes(16).toString('base64'));
  }

  /** The tag that approves `name` at this epoch. */
  nameTag(name: string): string {
    return this.#macBytes(this.#nameParts(name)).toString('base64');
  }

  /**
   * The tag that approves `name` as a reference to `target` (its canonical text) at this epoch. Over the
   * target too, so a writer who changes the target, or turns a value into a reference (or back), leaves a
   * tag that does not verify: the name is pending again. Over the header's allowed target prefixes too
   * (`allowed`, when it has a list): a writer who deletes the list leaves every reference pending.
   */
  refTag(name: string, target: string, allowed?: readonly string[]): string {
    return this.#mac(this.#refParts(name, target, allowed));
  }

  isRefApproved(name: string, target: string, tag: string | undefined, allowed?: readonly string[]): boolean {
    return tag !== undefined && sameBytes(this.#macBytes(this.#refParts(name, target, allowed)), tag);
  }

  /** The tag of the header's `allowedRefs` (approve --allow-ref): only a key holder sets or widens it. */
  allowedRefsTag(prefixes: readonly string[]): string {
    return this.#mac(['allow-ref', String(prefixes.length), ...prefixes, ...this.#epochPart()]);
  }

  isAllowedRefsTag(prefixes: readonly string[], tag: string): boolean {
    return sameTag(this.allowedRefsTag(prefixes), tag);
  }

  /** The tag of the `open` policy at this epoch: every writer of this stage is trusted. */
  openPolicyTag(): string {
    return this.#mac(['policy', 'open', ...this.#epochPart()]);
  }

  /** The tag of the header's `approvalEpoch` line: only a key holder can set the epoch (up or down). */
  epochTag(): string {
    return this.#mac(['approval-epoch', String(this.epoch), this.salt ?? '']);
  }

  /**
   * The tag of an identity record (who can open the stage): `text` is the record without its wrapped blob
   * and without this tag (stages/identity-trust.ts). Only a key holder makes one, so a record a writer
   * added or changed (a swapped recipient, key ARN or region) has none that verifies.
   */
  identityTag(text: string): string {
    return this.#mac(['identity', text, ...this.#epochPart()]);
  }

  isIdentityTag(text: string, tag: string | undefined): boolean {
    return tag !== undefined && sameTag(this.identityTag(text), tag);
  }

  /**
   * The tag of a rotation file: a key holder of this (the current) key started a rotate to `nextHeader`
   * (its canonical text), with these names approved. A rotate run again trusts the file only when it verifies.
   */
  rotationTag(nextHeader: string, approved: readonly string[]): string {
    return this.#mac(['rotation', nextHeader, String(approved.length), ...approved, ...this.#epochPart()]);
  }

  isRotationTag(nextHeader: string, approved: readonly string[], tag: string): boolean {
    return sameTag(this.rotationTag(nextHeader, approved), tag);
  }

  /** Checked once per secret when a stage opens: compares the MAC's bytes, no base64 round trip. */
  isApproved(name: string, tag: string | undefined): boolean {
    return tag !== undefined && sameBytes(this.#macBytes(this.#nameParts(name)), tag);
  }

  isOpenPolicy(tag: string): boolean {
    return sameTag(this.openPolicyTag(), tag);
  }

  isEpochTag(tag: string): boolean {
    return sameTag(this.epochTag(), tag);
  }

  #epochPart(): string[] {
    return this.epoch === FIRST_APPROVAL_EPOCH ? [] : ['epoch', String(this.epoch), this.salt ?? ''];
  }

  #refParts(name: string, target: string, allowed: readonly string[] | undefined): string[] {
    const list = allowed === undefined ? [] : ['allowed-refs', String(allowed.length), ...allowed];
    return ['approve-ref', name, target, ...list, ...this.#epochPart()];
  }

  #nameParts(name: string): string[] {
    return ['approve-name', name, ...this.#epochPart()];
  }

  #mac(parts: string[]): string {
    return this.#macBytes(parts).toString('base64');
  }

  #macBytes(parts: string[]): Buffer {
    const data = associatedData([this.#ctx.app, this.#ctx.stage, this.#ctx.publicKey, ...parts]);
    return createHmac('sha256', this.#key).update(data).digest();
  }
}

function sameTag(expected: string, given: string): boolean {
  return sameBytes(Buffer.from(expected, 'base64'), given);
}

function sameBytes(expected: Buffer, given: string): boolean {
  const b = Buffer.from(given, 'base64');
  return expected.length === b.length && timingSafeEqual(expected, b);
}
