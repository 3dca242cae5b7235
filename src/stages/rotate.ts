import { Approvals } from '../core/approval.js';
import { generateStageKeyPair, publicKeyFingerprint, Sealer } from '../core/crypto.js';
import type { StageFile } from '../core/format.js';
import type { SecretValue } from '../core/values.js';
import { recipientFor } from '../identities/index.js';
import { forgetUnwrappedKeys, openStageFile, sealedToOtherKeyError } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';
import { epochLine } from './approval-epoch.js';
import { contextOf, valueAad } from './sealing.js';

/**
 * New stage keypair; every value re-sealed and every identity re-wrapped, or nothing written.
 * Approvals (and an open policy) carry over under the new key, at the same approval epoch; pending names
 * stay pending. A v3 stage is written entries first, the new header last, with the new header kept aside
 * until then (store/stage-store.ts): a rotate that stopped half-way is finished by running it again,
 * which opens each entry with the key its `sealedTo` names, the old header's or the interrupted rotation's.
 */
export async function rotateStage(opts: StageOptions): Promise<{ secrets: number; identities: string[] }> {
  const env = opts.env ?? process.env;
  const store = Stage.find(opts).store;
  let count = 0;
  const result = await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    const opened = await openStageFile(current, env, { reportOtherKey: true });
    const values = new Map<string, SecretValue>();
    const approvedBefore = new Set<string>();
    const own = Object.keys(current.secrets).filter((name) => !opened.sealedToOtherKey.includes(name));
    for (const name of own) {
      values.set(name, opened.decrypt(name));
      if (opened.approvals.isApproved(name, current.secrets[name]!.approved)) approvedBefore.add(name);
    }
    if (opened.sealedToOtherKey.length > 0) {
      const interrupted = store.readInterruptedRotation(opts.stage);
      const fingerprint = interrupted && publicKeyFingerprint(interrupted.publicKey);
      const resumable = opened.sealedToOtherKey.filter((n) => current.secrets[n]!.sealedTo === fingerprint);
      const lost = opened.sealedToOtherKey.filter((n) => !resumable.includes(n));
      if (lost.length > 0) throw sealedToOtherKeyError(current, lost);
      const secrets = Object.fromEntries(resumable.map((n) => [n, current.secrets[n]!]));
      const half = await openStageFile({ ...interrupted!, secrets }, env);
      for (const name of resumable) {
        values.set(name, half.decrypt(name));
        if (half.approvals.isApproved(name, secrets[name]!.approved)) approvedBefore.add(name);
      }
    }
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
    for (const [name, value] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const approved = approvedBefore.has(name) ? approvals.nameTag(name) : undefined;
      const { expires, owner } = current.secrets[name]!;
      const meta = { ...(expires ? { expires } : {}), ...(owner ? { owner } : {}) };
      next.secrets[name] = {
        type: value.type,
        updated: current.secrets[name]!.updated,
        ...meta,
        ...sealer.seal(valueAad(next, name, value.type, meta), value.text),
        ...(approved ? { approved } : {}),
        ...(next.version === 3 ? { sealedTo: publicKeyFingerprint(next.publicKey) } : {}),
      };
    }
    count = values.size;
    return next;
  });
  forgetUnwrappedKeys();
  return { secrets: count, identities: result.identities.map((r) => r.id) };
}
