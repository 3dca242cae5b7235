import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { epochLine } from './approval-epoch.js';
import { keyAtHand, openStageFile, sealedToOtherKeyError, type OpenedStage } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';

export interface PendingName {
  name: string;
  type: string;
  updated: string;
}

export interface ApproveResult {
  /** what was pending before, with when each was last set: what the key holder is approving */
  pendingBefore: PendingName[];
  approved: string[];
  /** still pending afterwards */
  pending: string[];
  /** the stage's policy is open afterwards */
  open: boolean;
}

/**
 * A key holder approves names (all pending ones when none are given), or sets the tagged `open`
 * policy. Needs the stage key; writes only the tags, never a value.
 */
export async function approveNames(
  opts: StageOptions,
  request: { names: string[]; open?: boolean },
): Promise<ApproveResult> {
  const store = Stage.find(opts).store;
  let result: ApproveResult | undefined;
  await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    await keyAtHand(current, opts.env ?? process.env, store.displayPath(opts.stage)); // names a key that does not match
    const opened = await openStageFile(current, opts.env ?? process.env, { reportOtherKey: true });
    const stale = request.names.filter((name) => opened.sealedToOtherKey.includes(name));
    if (stale.length > 0) throw sealedToOtherKeyError(current, stale);
    const pendingBefore = opened.pending.map((name) => ({
      name,
      type: current.secrets[name]!.type,
      updated: current.secrets[name]!.updated,
    }));
    for (const name of request.names) {
      if (!Object.hasOwn(current.secrets, name)) {
        throw new StageSecretsError(
          'NOT_FOUND',
          `stage ${opts.stage} has no secret named ${name}; see npx --no-install stage-secrets list --stage ${opts.stage}.`,
        );
      }
    }
    const toApprove = (request.names.length > 0 ? request.names : request.open ? [] : opened.pending).filter(
      (name) => !opened.sealedToOtherKey.includes(name),
    );
    refuseUnopened(opened, toApprove, opts.stage);
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const name of toApprove)
      next.secrets[name] = { ...current.secrets[name]!, approved: opened.approvals.nameTag(name) };
    if (request.open) next.policy = { mode: 'open', tag: opened.approvals.openPolicyTag() };
    const open = opened.open || request.open === true;
    const approvedNow = new Set(toApprove);
    result = {
      pendingBefore,
      approved: [...approvedNow].sort(),
      pending: open ? [] : opened.pending.filter((name) => !approvedNow.has(name)),
      open,
    };
    return next;
  });
  return result!;
}

/**
 * A value is sealed to its name, type and stage: an entry copied or renamed to another name (or edited)
 * does not open, and approving its name would let the build fail on it later. Nothing is approved then.
 */
function refuseUnopened(opened: OpenedStage, names: string[], stage: string): void {
  const broken = names.filter((name) => {
    try {
      opened.decrypt(name);
      return false;
    } catch (err) {
      if (err instanceof StageSecretsError && err.code === 'INTEGRITY') return true;
      throw err;
    }
  });
  if (broken.length === 0) return;
  const fix = broken.map((name) => `npx --no-install stage-secrets set --stage ${stage} ${name}`).join('; ');
  throw new StageSecretsError(
    'INTEGRITY',
    `not approving ${broken.join(', ')}: its sealed value does not open under stage ${stage}'s key (integrity check ` +
      'failed: a value is bound to its name, type and stage, so an entry copied or renamed from another name, or ' +
      `edited, never opens). Nothing was approved. Set each again (${fix}) or remove it with rm.`,
  );
}

export interface RevokeResult {
  /** the approval epoch before and after: every tag of an earlier epoch no longer verifies */
  epochBefore: number;
  epoch: number;
  /** revoked names the stage has: now pending */
  revoked: string[];
  /** revoked names the stage does not have (removed earlier): their tags in git history are void now */
  absent: string[];
  /** names re-tagged at the new epoch */
  kept: string[];
  /** pending afterwards (revoked, never approved, or carrying a tag that did not verify) */
  pending: string[];
  /** the open policy was removed (--close) */
  closed: boolean;
  /** the stage is still open afterwards (revoke without --close): the build still takes every name */
  open: boolean;
}

/**
 * A key holder withdraws approvals: the approval epoch goes up by one, so every name tag and open-policy
 * tag of an earlier epoch, in this file or restored from git history, stops verifying; names that stay
 * approved are tagged again at the new epoch. `names` become pending; `close` removes the open policy.
 * Only tags that verify are carried over: a tag a writer made up is dropped, never re-tagged.
 */
export async function revokeApprovals(
  opts: StageOptions,
  request: { names: string[]; close?: boolean },
): Promise<RevokeResult> {
  const store = Stage.find(opts).store;
  let result: RevokeResult | undefined;
  await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    const opened = await openStageFile(current, opts.env ?? process.env, { reportOtherKey: true });
    const before = opened.approvals;
    const after = before.nextEpoch();
    const revoking = new Set(request.names);
    const next: StageFile = { ...current, secrets: {} };
    const kept: string[] = [];
    const pending: string[] = [];
    for (const name of Object.keys(current.secrets).sort()) {
      const { approved, ...entry } = current.secrets[name]!;
      const stays = !revoking.has(name) && before.isApproved(name, approved);
      next.secrets[name] = stays ? { ...entry, approved: after.nameTag(name) } : entry;
      (stays ? kept : pending).push(name);
    }
    const open = opened.open && request.close !== true;
    if (open) next.policy = { mode: 'open', tag: after.openPolicyTag() };
    else delete next.policy;
    next.approvalEpoch = epochLine(after);
    const present = (name: string) => Object.hasOwn(current.secrets, name);
    result = {
      epochBefore: before.epoch,
      epoch: after.epoch,
      revoked: [...revoking].filter(present).sort(),
      absent: [...revoking].filter((name) => !present(name)).sort(),
      kept,
      pending,
      closed: request.close === true && current.policy !== undefined,
      open,
    };
    return next;
  });
  return result!;
}
