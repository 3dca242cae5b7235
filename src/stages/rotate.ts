import { Approvals } from '../core/approval.js';
import { generateStageKeyPair, publicKeyFingerprint, Sealer } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import { serializeStageHeader, type StageFile } from '../core/format.js';
import type { InterruptedRotation, StageStore } from '../store/stage-store.js';
import type { OpenedStage } from './open-file.js';
import { isTrackedByGit } from '../git/git.js';
import { identityTrust, refuseUnconfirmed, tagRecord } from './identity-trust.js';
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
 * The rotation file is trusted only when it is not tracked by git and its seal verifies under the current
 * header's key (a key holder's rotate wrote it); the names it carries approvals for are those the seal
 * covers. Every identity record must be confirmed by a key holder (identity-trust.ts): the new key is
 * wrapped to no other, and every new record is tagged under the new key.
 */
export async function rotateStage(opts: StageOptions): Promise<{ secrets: number; identities: string[] }> {
  const env = opts.env ?? process.env;
  const store = Stage.find(opts).store;
  let count = 0;
  let sealFor: ((next: StageFile, headerText: string) => { from: string; approved: string[]; tag: string }) | undefined;
  // the rotation file is sealed under the current key once the change knows the approved names (sealFor)
  const update = (change: Parameters<StageStore['update']>[1]) =>
    store.update(opts.stage, change, { rotationSeal: (next, headerText) => sealFor!(next, headerText) });
  const result = await update(async (found) => {
    const current = requireCurrent(found, opts, store);
    const opened = await openStageFile(current, env, { reportOtherKey: true });
    refuseUnconfirmed(opts.stage, identityTrust(current, opened.approvals), 'rotate', store.displayPath(opts.stage));
    const values = new Map<string, SecretValue>();
    const approvedBefore = new Set<string>();
    const own = Object.keys(current.secrets).filter((name) => !opened.sealedToOtherKey.includes(name));
    for (const name of own) {
      values.set(name, opened.decrypt(name));
      if (opened.isTagged(name)) approvedBefore.add(name);
    }
    if (opened.sealedToOtherKey.length > 0) {
      const interrupted = store.readInterruptedRotation(opts.stage);
      const fingerprint = interrupted && publicKeyFingerprint(interrupted.header.publicKey);
      const resumable = opened.sealedToOtherKey.filter((n) => current.secrets[n]!.sealedTo === fingerprint);
      const lost = opened.sealedToOtherKey.filter((n) => !resumable.includes(n));
      if (lost.length > 0) throw sealedToOtherKeyError(current, lost);
      const approvedThen = trustedRotation(store, opts.stage, current, opened, interrupted!, resumable, env);
      const secrets = Object.fromEntries(resumable.map((n) => [n, current.secrets[n]!]));
      const half = await openStageFile({ ...interrupted!.header, secrets }, env, { reportOtherKey: true });
      for (const name of resumable) {
        values.set(name, half.decrypt(name));
        if (approvedThen.has(name)) approvedBefore.add(name);
      }
    }
    const pair = generateStageKeyPair();
    const next: StageFile = { ...current, publicKey: pair.publicKey.toString('base64'), identities: [], secrets: {} };
    const approvals = new Approvals(pair.privateKey, contextOf(next), opened.approvals.epoch, opened.approvals.salt);
    const epoch = epochLine(approvals);
    if (epoch) next.approvalEpoch = epoch;
    if (current.policy) next.policy = { mode: 'open', tag: approvals.openPolicyTag() };
    // openStageFile verified the list's tag under the current key: it is carried to the new one
    if (current.allowedRefs) {
      const prefixes = current.allowedRefs.prefixes;
      next.allowedRefs = { prefixes, tag: approvals.allowedRefsTag(prefixes) };
    }
    try {
      for (const record of current.identities) {
        const { record: rewrapped } = await (await recipientFor(record, env)).wrap(pair.privateKey, contextOf(next));
        next.identities.push(tagRecord(rewrapped, approvals));
      }
    } finally {
      pair.privateKey.fill(0);
    }
    const sealer = new Sealer(pair.publicKey);
    for (const [name, value] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const tagOf = () =>
        value.ref ? approvals.refTag(name, value.text, current.allowedRefs?.prefixes) : approvals.nameTag(name);
      const approved = approvedBefore.has(name) ? tagOf() : undefined;
      const { expires, owner } = current.secrets[name]!;
      const meta = {
        ...(expires ? { expires } : {}),
        ...(owner ? { owner } : {}),
        ...(value.ref ? { ref: true as const } : {}),
      };
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
    sealFor = (_next, headerText) => {
      const approved = [...approvedBefore].sort();
      return { from: current.publicKey, approved, tag: opened.approvals.rotationTag(headerText, approved) };
    };
    return next;
  });
  forgetUnwrappedKeys();
  return { secrets: count, identities: result.identities.map((r) => r.id) };
}

/**
 * The names a rotate that did not finish had approved, when its rotation file can be trusted: not tracked
 * by git (rotate never commits it; a committed one came with someone's branch), and sealed under the current
 * header's key, from this header's public key, at its approval epoch. Anything else is refused, naming the file.
 */
function trustedRotation(
  store: StageStore,
  stage: string,
  current: StageFile,
  opened: OpenedStage,
  interrupted: InterruptedRotation,
  resumable: string[],
  env: NodeJS.ProcessEnv,
): Set<string> {
  const file = store.rotationPath(stage);
  const shown = store.shown(file);
  const names = resumable.join(', ');
  const fix =
    `If no key holder's rotate of this stage stopped half-way on this machine, remove it (git rm --cached ${shown} ` +
    `if it is committed, then rm ${shown}) and set again, or rm, the names sealed to its key: ${names}. ` +
    `See who added them: git log -p -- ${shown} ${store.shown(store.entriesDir(stage))}. Nothing was written.`;
  if (isTrackedByGit(file, env)) {
    throw new StageSecretsError(
      'INTEGRITY',
      `${shown} (the state of a rotate that did not finish) is tracked by git: rotate never commits it, so it came ` +
        `with a commit, and a rotate run now would trust a key and approvals from someone's branch. ${fix}`,
    );
  }
  const seal = interrupted.seal;
  const headerText = serializeStageHeader(interrupted.header);
  const authentic =
    seal !== undefined &&
    seal.from === current.publicKey &&
    interrupted.header.app === current.app &&
    opened.approvals.isRotationTag(headerText, seal.approved, seal.tag);
  if (!authentic) {
    throw new StageSecretsError(
      'INTEGRITY',
      `${shown} (the state of a rotate that did not finish) is not sealed by a key holder of the current stage key: ` +
        `a writer without the key made it or copied it from history, or a rotate before an approve --revoke ` +
        `or an older stage-secrets wrote it. rotate does not trust it. ${fix}`,
    );
  }
  return new Set(seal.approved);
}
