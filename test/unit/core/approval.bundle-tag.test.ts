/**
 * The bundle approval tag (runtime mode): one HMAC a key holder's build puts on a function's sealed entries,
 * so a cold start checks one tag instead of one per name. It must pin exactly what the build checked: every
 * name, its approval text, its reference flag, type, metadata and GCM tag, a reference's whole sealing, the
 * allowed-refs tag, the policy, the stage, its key and the approval epoch.
 */
import { describe, expect, it } from 'vitest';
import { Approvals, type BundleTagEntry } from '../../../src/core/approval.js';
import { generateStageKeyPair } from '../../../src/core/crypto.js';

const pair = generateStageKeyPair();
const ctx = { app: 'shop', stage: 'prod', publicKey: pair.publicKey.toString('base64') };
const approvals = new Approvals(pair.privateKey, ctx);

const b64 = (n: number, fill: number) => Buffer.alloc(n, fill).toString('base64');
function entry(fill: number, extra: Partial<BundleTagEntry> = {}): BundleTagEntry {
  return { type: 'string', epk: b64(32, fill), nonce: b64(12, fill), ct: b64(20, fill), tag: b64(16, fill), ...extra };
}
const entries = (): Record<string, BundleTagEntry> => ({
  API_KEY: entry(1, { approved: approvals.nameTag('API_KEY') }),
  DB_URL: entry(2, { approved: approvals.nameTag('DB_URL') }),
  SHARED: entry(3, { approved: b64(32, 9), ref: true }),
});

describe('Approvals.bundleTag', () => {
  const tag = approvals.bundleTag(entries(), undefined, false);

  it('verifies for the same entries, in any key order', () => {
    expect(approvals.isBundleTag(entries(), undefined, false, tag)).toBe(true);
    const reversed = Object.fromEntries(Object.entries(entries()).reverse());
    expect(approvals.isBundleTag(reversed, undefined, false, tag)).toBe(true);
  });

  it('fails for a name added or removed', () => {
    expect(approvals.isBundleTag({ ...entries(), OTHER: entry(4) }, undefined, false, tag)).toBe(false);
    const { DB_URL: _gone, ...fewer } = entries();
    expect(approvals.isBundleTag(fewer, undefined, false, tag)).toBe(false);
    // a name renamed, its entry kept
    const { DB_URL, ...rest } = entries();
    expect(approvals.isBundleTag({ ...rest, DB_URL2: DB_URL! }, undefined, false, tag)).toBe(false);
  });

  it("fails when an entry's approval, flag, type, metadata or GCM tag changed", () => {
    const changes: Array<[string, Partial<BundleTagEntry> & Record<string, unknown>]> = [
      ['tag', { tag: b64(16, 7) }],
      ['type', { type: 'json' }],
      ['approved', { approved: approvals.nameTag('DB_URL') }],
      ['approved removed', { approved: undefined }],
      ['approved empty', { approved: '' }],
      ['ref added', { ref: true }],
      ['expires added', { expires: '2030-01-01' }],
      ['owner added', { owner: 'ops' }],
      ['expires empty', { expires: '' }],
    ];
    for (const [what, change] of changes) {
      const changed = entries();
      changed.API_KEY = { ...changed.API_KEY!, ...change } as BundleTagEntry;
      if ('approved' in change && change.approved === undefined) delete changed.API_KEY.approved;
      expect(approvals.isBundleTag(changed, undefined, false, tag), what).toBe(false);
    }
    const unref = entries();
    delete unref.SHARED!.ref;
    expect(approvals.isBundleTag(unref, undefined, false, tag), 'ref removed').toBe(false);
  });

  it("pins a reference's whole sealing: its ciphertext (the GCM tag kept), epk and nonce, each alone", () => {
    for (const [what, change] of [
      ['ct, same GCM tag', { ct: b64(21, 3) }],
      ['epk', { epk: b64(32, 7) }],
      ['nonce', { nonce: b64(12, 7) }],
    ] as const) {
      const changed = entries();
      changed.SHARED = { ...changed.SHARED!, ...change };
      expect(approvals.isBundleTag(changed, undefined, false, tag), what).toBe(false);
    }
  });

  it("does not pin a value's ciphertext (its approval never covered the value; GCM still checks it opens)", () => {
    const changed = entries();
    changed.API_KEY = { ...changed.API_KEY!, ct: b64(20, 7), epk: b64(32, 7), nonce: b64(12, 7) };
    expect(approvals.isBundleTag(changed, undefined, false, tag)).toBe(true);
  });

  it('makes no tag over a field of the wrong type: none verifies, making one throws', () => {
    for (const change of [{ approved: 5 }, { expires: null }, { owner: {} }, { ref: 'true' }, { ref: false }]) {
      const changed = entries() as Record<string, Record<string, unknown>>;
      changed.API_KEY = { ...changed.API_KEY!, ...change };
      const odd = changed as unknown as Record<string, BundleTagEntry>;
      expect(approvals.isBundleTag(odd, undefined, false, tag), JSON.stringify(change)).toBe(false);
      expect(() => approvals.bundleTag(odd, undefined, false)).toThrow(TypeError);
    }
  });

  it('ignores only what nothing checks at a cold start: the entry time and sealedTo', () => {
    const timed = entries() as Record<string, BundleTagEntry & { updated?: string; sealedTo?: string }>;
    timed.API_KEY!.updated = '2026-12-07T00:00:00Z';
    timed.DB_URL!.sealedTo = 'abc';
    expect(approvals.isBundleTag(timed, undefined, false, tag)).toBe(true);
  });

  it('is bound to the allowed-refs tag and the policy', () => {
    const refs = approvals.allowedRefsTag(['ssm:/org/']);
    const withRefs = approvals.bundleTag(entries(), refs, false);
    expect(approvals.isBundleTag(entries(), refs, false, withRefs)).toBe(true);
    expect(approvals.isBundleTag(entries(), undefined, false, withRefs)).toBe(false);
    expect(approvals.isBundleTag(entries(), refs, false, tag)).toBe(false);
    expect(approvals.isBundleTag(entries(), approvals.allowedRefsTag(['ssm:/']), false, withRefs)).toBe(false);
    const open = approvals.bundleTag(entries(), undefined, true);
    expect(approvals.isBundleTag(entries(), undefined, false, open)).toBe(false);
    expect(approvals.isBundleTag(entries(), undefined, true, open)).toBe(true);
  });

  it("is bound to the stage, its key and the epoch: another stage's or an earlier epoch's tag fails", () => {
    const other = new Approvals(pair.privateKey, { ...ctx, stage: 'staging' });
    expect(approvals.isBundleTag(entries(), undefined, false, other.bundleTag(entries(), undefined, false))).toBe(
      false,
    );
    const otherKey = new Approvals(generateStageKeyPair().privateKey, ctx);
    expect(approvals.isBundleTag(entries(), undefined, false, otherKey.bundleTag(entries(), undefined, false))).toBe(
      false,
    );
    const next = approvals.nextEpoch();
    expect(next.isBundleTag(entries(), undefined, false, tag)).toBe(false);
    const nextTag = next.bundleTag(entries(), undefined, false);
    expect(next.isBundleTag(entries(), undefined, false, nextTag)).toBe(true);
    expect(approvals.isBundleTag(entries(), undefined, false, nextTag)).toBe(false);
  });

  it('is no other tag: a name tag or an open-policy tag does not verify as a bundle tag, nor the other way round', () => {
    const one = { API_KEY: entries().API_KEY! };
    const oneTag = approvals.bundleTag(one, undefined, false);
    expect(approvals.isApproved('API_KEY', oneTag)).toBe(false);
    expect(approvals.isBundleTag(one, undefined, false, approvals.nameTag('API_KEY'))).toBe(false);
    expect(approvals.isBundleTag(one, undefined, false, approvals.openPolicyTag())).toBe(false);
  });

  it('treats garbage as no tag (false, no throw)', () => {
    for (const garbage of [undefined, null, 42, {}, [], '', 'garbage!', tag.slice(0, 20), `${tag}AAAA`])
      expect(approvals.isBundleTag(entries(), undefined, false, garbage), String(garbage)).toBe(false);
  });
});
