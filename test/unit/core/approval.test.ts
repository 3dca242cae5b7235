import { describe, expect, it } from 'vitest';
import { Approvals } from '../../../src/core/approval.js';
import { generateStageKeyPair } from '../../../src/core/crypto.js';

const pair = generateStageKeyPair();
const ctx = { app: 'shop', stage: 'dev', publicKey: pair.publicKey.toString('base64') };
const approvals = new Approvals(pair.privateKey, ctx);

describe('reference approval tags', () => {
  it('verify for the same name and target only', () => {
    const tag = approvals.refTag('DB', 'ssm:/org/shared/db');
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db', tag)).toBe(true);
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db2', tag)).toBe(false);
    expect(approvals.isRefApproved('DB2', 'ssm:/org/shared/db', tag)).toBe(false);
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db', undefined)).toBe(false);
  });

  it('are not name tags: a value tag does not approve a reference, nor the other way round', () => {
    const nameTag = approvals.nameTag('DB');
    const refTag = approvals.refTag('DB', 'ssm:/org/shared/db');
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db', nameTag)).toBe(false);
    expect(approvals.isApproved('DB', refTag)).toBe(false);
  });

  it('cover the allowed prefixes: a tag made under a list does not verify without it, or under another list', () => {
    const allowed = ['ssm:/org/shared/'];
    const tag = approvals.refTag('DB', 'ssm:/org/shared/db', allowed);
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db', tag, allowed)).toBe(true);
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db', tag)).toBe(false);
    expect(approvals.isRefApproved('DB', 'ssm:/org/shared/db', tag, ['ssm:/'])).toBe(false);
  });

  it('are bound to the approval epoch: a tag of an earlier epoch does not verify after a revocation', () => {
    const tag = approvals.refTag('DB', 'ssm:/org/shared/db');
    const next = approvals.nextEpoch();
    expect(next.isRefApproved('DB', 'ssm:/org/shared/db', tag)).toBe(false);
    expect(next.isRefApproved('DB', 'ssm:/org/shared/db', next.refTag('DB', 'ssm:/org/shared/db'))).toBe(true);
  });

  it('need the stage key: another key gives other tags', () => {
    const other = new Approvals(generateStageKeyPair().privateKey, ctx);
    expect(approvals.isRefApproved('DB', 'ssm:/x/y', other.refTag('DB', 'ssm:/x/y'))).toBe(false);
  });
});

describe('the allowed reference prefixes tag', () => {
  it('verifies for the same list only (a widened, narrowed or reordered list fails)', () => {
    const list = ['secretsmanager:prod/', 'ssm:/org/shared/'];
    const tag = approvals.allowedRefsTag(list);
    expect(approvals.isAllowedRefsTag(list, tag)).toBe(true);
    expect(approvals.isAllowedRefsTag([...list, 'ssm:/'], tag)).toBe(false);
    expect(approvals.isAllowedRefsTag(['ssm:/org/shared/'], tag)).toBe(false);
    expect(approvals.isAllowedRefsTag([...list].reverse(), tag)).toBe(false);
    expect(approvals.isAllowedRefsTag(list, approvals.openPolicyTag())).toBe(false);
    expect(approvals.nextEpoch().isAllowedRefsTag(list, tag)).toBe(false);
  });
});
