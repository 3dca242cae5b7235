import { createHmac, timingSafeEqual } from 'node:crypto';
import { associatedData, FORMAT_TAG, hkdf } from './crypto.js';

/** What an approval is bound to: the stage, and its keypair (a new keypair voids old approvals). */
export interface ApprovalContext {
  app: string;
  stage: string;
  /** base64 of the stage public key */
  publicKey: string;
}

/**
 * Approval tags: HMAC-SHA256 under a key derived from the stage private key, so only a key holder can
 * make one, over (format tag, app, stage, public key, name). Per name, so a value replacement keeps
 * its approval and approvals merge like entries; a tag copied to another name or stage does not verify.
 */
export class Approvals {
  readonly #key: Buffer;
  readonly #ctx: ApprovalContext;

  constructor(stagePrivateKey: Buffer, ctx: ApprovalContext) {
    this.#key = hkdf(stagePrivateKey, Buffer.from(ctx.publicKey, 'base64'), `${FORMAT_TAG} approval-key`);
    this.#ctx = ctx;
  }

  /** The tag that approves `name`. */
  nameTag(name: string): string {
    return this.#mac(['approve-name', name]);
  }

  /** The tag of the `open` policy: every writer of this stage is trusted. */
  openPolicyTag(): string {
    return this.#mac(['policy', 'open']);
  }

  isApproved(name: string, tag: string | undefined): boolean {
    return tag !== undefined && sameTag(this.nameTag(name), tag);
  }

  isOpenPolicy(tag: string): boolean {
    return sameTag(this.openPolicyTag(), tag);
  }

  #mac(parts: string[]): string {
    const data = associatedData([this.#ctx.app, this.#ctx.stage, this.#ctx.publicKey, ...parts]);
    return createHmac('sha256', this.#key).update(data).digest('base64');
  }
}

function sameTag(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'base64');
  const b = Buffer.from(given, 'base64');
  return a.length === b.length && timingSafeEqual(a, b);
}
