import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { keyAtHand, openStageFile } from './open.js';
import type { StageOptions } from './options.js';
import { requireCurrent, storeFor } from './read.js';

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
export async function approveNames(opts: StageOptions, request: { names: string[]; open?: boolean }): Promise<ApproveResult> {
  const store = storeFor(opts);
  let result: ApproveResult | undefined;
  await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    await keyAtHand(current, opts.env ?? process.env, store.displayPath(opts.stage)); // names a key that does not match
    const opened = await openStageFile(current, opts.env ?? process.env);
    const pendingBefore = opened.pending.map((name) => ({ name, type: current.secrets[name]!.type, updated: current.secrets[name]!.updated }));
    for (const name of request.names) {
      if (!Object.hasOwn(current.secrets, name)) {
        throw new StageSecretsError('NOT_FOUND', `stage ${opts.stage} has no secret named ${name}; see stage-secrets list --stage ${opts.stage}.`);
      }
    }
    const toApprove = request.names.length > 0 ? request.names : request.open ? [] : opened.pending;
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const name of toApprove) next.secrets[name] = { ...current.secrets[name]!, approved: opened.approvals.nameTag(name) };
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
