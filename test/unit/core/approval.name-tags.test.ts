import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Approvals } from '../../../src/core/approval.js';
import { associatedData, FORMAT_TAG, generateStageKeyPair, hkdf } from '../../../src/core/crypto.js';

// The name tag as the approval rules define it (DESIGN.md, name approval), computed the long way.
function referenceTag(privateKey: Buffer, ctx: { app: string; stage: string; publicKey: string }, parts: string[]) {
  const key = hkdf(privateKey, Buffer.from(ctx.publicKey, 'base64'), `${FORMAT_TAG} approval-key`);
  const data = associatedData([ctx.app, ctx.stage, ctx.publicKey, 'approve-name', ...parts]);
  return createHmac('sha256', key).update(data).digest('base64');
}

describe('Approvals: name tags', () => {
  const keys = generateStageKeyPair();
  const ctx = { app: 'sh"op ü', stage: 'prod', publicKey: keys.publicKey.toString('base64') };

  it('are the HMAC over the associated data of (app, stage, public key, name), at epoch 0 and later epochs', () => {
    const base = new Approvals(keys.privateKey, ctx);
    const later = base.atEpoch(3, 'c2FsdA==');
    for (const name of ['API_KEY', 'A', 'x'.repeat(100)]) {
      const tag0 = referenceTag(keys.privateKey, ctx, [name]);
      const tag3 = referenceTag(keys.privateKey, ctx, [name, 'epoch', '3', 'c2FsdA==']);
      expect(base.nameTag(name)).toBe(tag0);
      expect(later.nameTag(name)).toBe(tag3);
      expect(base.isApproved(name, tag0)).toBe(true);
      expect(later.isApproved(name, tag3)).toBe(true);
      // a tag of another epoch, name or stage does not verify
      expect(base.isApproved(name, tag3)).toBe(false);
      expect(later.isApproved(name, tag0)).toBe(false);
      expect(base.isApproved(`${name}X`, tag0)).toBe(false);
      expect(new Approvals(keys.privateKey, { ...ctx, stage: 'dev' }).isApproved(name, tag0)).toBe(false);
    }
    expect(base.isApproved('API_KEY', undefined)).toBe(false);
    expect(base.isApproved('API_KEY', '')).toBe(false);
  });

  it('leave a name pending when its tag is no text (a runtime bundle is not schema-checked), without throwing', () => {
    const base = new Approvals(keys.privateKey, ctx);
    const tag = base.nameTag('API_KEY');
    expect(base.isApproved('API_KEY', tag)).toBe(true);
    for (const odd of [42, null, {}, [tag]]) expect(base.isApproved('API_KEY', odd as never)).toBe(false);
  });
});
