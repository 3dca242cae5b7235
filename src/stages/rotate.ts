import { Approvals } from '../core/approval.js';
import { generateStageKeyPair, Sealer } from '../core/crypto.js';
import type { StageFile } from '../core/format.js';
import { recipientFor } from '../identities/index.js';
import { forgetUnwrappedKeys, openStageFile } from './open.js';
import type { StageOptions } from './options.js';
import { requireCurrent, storeFor } from './read.js';
import { epochLine } from './approval-epoch.js';
import { contextOf, valueAad } from './sealing.js';

/**
 * New stage keypair; every value re-sealed and every identity re-wrapped, or nothing written.
 * Approvals (and an open policy) carry over under the new key, at the same approval epoch; pending names
 * stay pending.
 */
export async function rotateStage(opts: StageOptions): Promise<{ secrets: number; identities: string[] }> {
  const env = opts.env ?? process.env;
  const store = storeFor(opts);
  let count = 0;
  const result = await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    const opened = await openStageFile(current, env);
    const values = opened.decryptAll();
    const pair = generateStageKeyPair();
    const next: StageFile = { ...current, publicKey: pair.publicKey.toString('base64'), identities: [], secrets: {} };
    const approvals = new Approvals(pair.privateKey, contextOf(next), opened.approvals.epoch, opened.approvals.salt);
    const epoch = epochLine(approvals);
    if (epoch) next.approvalEpoch = epoch;
    if (current.policy) next.policy = { mode: 'open', tag: approvals.openPolicyTag() };
    try {
      for (const record of current.identities) {
        const { record: rewrapped } = await (await recipientFor(record, env)).wrap(pair.privateKey, contextOf(next));
        next.identities.push(rewrapped);
      }
    } finally {
      pair.privateKey.fill(0);
    }
    const sealer = new Sealer(pair.publicKey);
    for (const [name, value] of values) {
      const approved = opened.approvals.isApproved(name, current.secrets[name]!.approved)
        ? approvals.nameTag(name)
        : undefined;
      next.secrets[name] = {
        type: value.type,
        updated: current.secrets[name]!.updated,
        ...sealer.seal(valueAad(next, name, value.type), value.text),
        ...(approved ? { approved } : {}),
      };
    }
    count = values.size;
    return next;
  });
  forgetUnwrappedKeys();
  return { secrets: count, identities: result.identities.map((r) => r.id) };
}
