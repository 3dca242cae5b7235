import { Approvals, FIRST_APPROVAL_EPOCH } from '../core/approval.js';
import { StageSecretsError } from '../core/errors.js';
import type { ApprovalEpoch, StageFile } from '../core/format.js';
import { contextOf } from './sealing.js';

/** The approval epoch a stage file claims (0 without an `approvalEpoch` line); checked by approvalsFor. */
export function claimedEpoch(file: Pick<StageFile, 'approvalEpoch'>): number {
  return file.approvalEpoch?.epoch ?? FIRST_APPROVAL_EPOCH;
}

/**
 * The approvals of a stage file under its stage private key, at the file's epoch. A writer can copy an
 * epoch line from history but not make one: an epoch whose tag does not verify fails closed (INTEGRITY).
 */
export function approvalsFor(file: StageFile, privateKey: Buffer): Approvals {
  const base = new Approvals(privateKey, contextOf(file));
  const line = file.approvalEpoch;
  if (line === undefined) return base;
  // runtime bundles are not schema-checked: the number must be what the schema allows before it is tagged
  const valid =
    Number.isSafeInteger(line.epoch) &&
    line.epoch > FIRST_APPROVAL_EPOCH &&
    typeof line.salt === 'string' &&
    typeof line.tag === 'string';
  const approvals = valid ? base.atEpoch(line.epoch, line.salt) : undefined;
  if (!approvals?.isEpochTag(line.tag)) {
    throw new StageSecretsError(
      'INTEGRITY',
      `stage ${file.stage} says approval epoch ${valid ? line.epoch : '(malformed)'}, but its tag does not verify: ` +
        'a writer without the key changed the approvalEpoch line of the header. Restore the stage file from git.',
    );
  }
  return approvals;
}

/** The header line that records `approvals`' epoch; none at epoch 0, so files that never revoked keep their bytes. */
export function epochLine(approvals: Approvals): ApprovalEpoch | undefined {
  if (approvals.epoch === FIRST_APPROVAL_EPOCH || approvals.salt === undefined) return undefined;
  return { epoch: approvals.epoch, salt: approvals.salt, tag: approvals.epochTag() };
}
