import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { associatedData, FORMAT_TAG, hkdf } from './crypto.js';
import type { SecretEntry } from './format.js';

/** What a bundle tag pins of each entry: everything a cold start checks or opens (not its time, not sealedTo). */
export type BundleTagEntry = Pick<
  SecretEntry,
  'type' | 'epk' | 'nonce' | 'ct' | 'tag' | 'approved' | 'ref' | 'expires' | 'owner'
>;

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
  #nameText: [string, string] | undefined;
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
    return this.#nameMac(name).toString('base64');
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

  /**
   * The tag of a runtime bundle (one function's sealed entries, src/core/runtime-bundle.ts): a key holder's
   * build makes it after the stage opened with every name approved (`open`: under a verified open policy).
   * Over the sorted names and, per name, its approval text, reference flag, type, metadata and GCM tag, and
   * for a reference its whole sealing (epk, nonce, ciphertext: GCM does not commit to its key, so whoever
   * sealed a target could make another ciphertext with the same GCM tag), plus the header's allowed-refs tag
   * and the policy: a cold start that verifies it has the entries the build checked (a value's approval
   * never covered its value), and skips the per-name HMACs.
   */
  bundleTag(
    entries: Readonly<Record<string, BundleTagEntry>>,
    allowedRefsTag: string | undefined,
    open: boolean,
  ): string {
    const text = this.#bundleText(entries, allowedRefsTag, open);
    if (text === undefined) throw new TypeError('a bundle entry has a field of the wrong type');
    return createHmac('sha256', this.#key).update(text, 'utf8').digest('base64');
  }

  /** Whether `tag` is this stage's bundle tag over exactly these entries; anything else (garbage included) is false. */
  isBundleTag(
    entries: Readonly<Record<string, BundleTagEntry>>,
    allowedRefsTag: string | undefined,
    open: boolean,
    tag: unknown,
  ): boolean {
    // only the canonical text (Node's decoder would stop at padding and skip stray characters)
    if (typeof tag !== 'string' || Buffer.from(tag, 'base64').toString('base64') !== tag) return false;
    const text = this.#bundleText(entries, allowedRefsTag, open);
    return text !== undefined && sameBytes(createHmac('sha256', this.#key).update(text, 'utf8').digest(), tag);
  }

  /**
   * Checked once per secret when a stage opens: compares the MAC's bytes, no base64 round trip. A runtime
   * bundle is not schema-checked: a tag that is no text leaves the name pending.
   */
  isApproved(name: string, tag: string | undefined): boolean {
    return typeof tag === 'string' && sameBytes(this.#nameMac(name), tag);
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

  /**
   * associatedData([app, stage, publicKey, 'bundle', ...]) as text: one JSON array, null for an absent field
   * (a field of another type makes no text: no tag). Built in one pass, since a cold start makes it once
   * over every packaged entry.
   */
  #bundleText(
    entries: Readonly<Record<string, BundleTagEntry>>,
    allowedRefsTag: string | undefined,
    open: boolean,
  ): string | undefined {
    const names = Object.keys(entries).sort();
    const { app, stage, publicKey } = this.#ctx;
    const parts: unknown[] = [FORMAT_TAG, app, stage, publicKey, 'bundle', open ? 'open' : 'closed'];
    parts.push(allowedRefsTag ?? null, names.length);
    for (const name of names) {
      const e = entries[name]!;
      const { approved, expires, owner, ref } = e;
      if (!optionalText(approved) || !optionalText(expires) || !optionalText(owner)) return undefined;
      if (ref !== undefined && ref !== true) return undefined;
      parts.push(name, e.type, e.tag, approved ?? null, expires ?? null, owner ?? null, ref === true);
      if (ref === true) parts.push(e.epk, e.nonce, e.ct);
    }
    parts.push(...this.#epochPart());
    return JSON.stringify(parts);
  }

  #nameParts(name: string): string[] {
    return ['approve-name', name, ...this.#epochPart()];
  }

  /**
   * The MAC over associatedData([app, stage, publicKey, ...#nameParts(name)]), the same bytes (a
   * JSON array is its elements joined by commas), with the text before and after the name made once: a
   * cold start checks one per packaged name, and the array and its JSON were a third of that check.
   */
  #nameMac(name: string): Buffer {
    if (!this.#nameText) {
      const [kind = '', , ...after] = this.#nameParts('');
      const head = associatedData([this.#ctx.app, this.#ctx.stage, this.#ctx.publicKey, kind]).toString('utf8');
      this.#nameText = [`${head.slice(0, -1)},`, after.length ? `,${JSON.stringify(after).slice(1)}` : ']'];
    }
    const [before, after] = this.#nameText;
    return createHmac('sha256', this.#key)
      .update(before + JSON.stringify(name) + after, 'utf8')
      .digest();
  }

  #mac(parts: string[]): string {
    return this.#macBytes(parts).toString('base64');
  }

  #macBytes(parts: string[]): Buffer {
    const data = associatedData([this.#ctx.app, this.#ctx.stage, this.#ctx.publicKey, ...parts]);
    return createHmac('sha256', this.#key).update(data).digest();
  }
}

const optionalText = (value: unknown): boolean => value === undefined || typeof value === 'string';

function sameTag(expected: string, given: string): boolean {
  return sameBytes(Buffer.from(expected, 'base64'), given);
}

function sameBytes(expected: Buffer, given: string): boolean {
  const b = Buffer.from(given, 'base64');
  return expected.length === b.length && timingSafeEqual(expected, b);
}
