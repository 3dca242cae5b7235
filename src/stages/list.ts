import type { Approvals } from '../core/approval.js';
import { isStageSecretsError } from '../core/errors.js';
import type { IdentityRecord, StageFile } from '../core/format.js';
import type { ApprovalStatus, SecretInfo } from './list-types.js';
import { approvalsFor } from './approval-epoch.js';
import { entriesSealedToOtherKey, keyAtHand, referenceTargets } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage } from './stage.js';
import { derivedId, describeIdentity } from '../identities/index.js';
import { trustOf, trustProblem } from './identity-trust.js';

export type { ApprovalStatus, SecretInfo } from './list-types.js';

export interface CheckedList {
  secrets: SecretInfo[];
  /**
   * the reference target prefixes the header allows (approve --allow-ref), when it has a list; `checked`:
   * its tag verified under the key at hand (false: no key here, or it does not verify, then `problem` says so)
   */
  allowedRefs?: { prefixes: readonly string[]; checked: boolean };
  /** the identity whose key checked the tags; absent: no key at hand, nothing checked */
  checkedWith?: string;
  /** a header tag (approval epoch, open policy) that does not verify */
  problem?: string;
  /**
   * who can open the stage: each identity in words (src/identities: its kind's describe), marked when no key
   * holder confirmed it (identity-trust.ts): "[NOT CONFIRMED ...]" (without the key: when it has no tag)
   */
  identities: string[];
}

function infos(
  file: StageFile,
  status: (name: string, tagged: boolean) => ApprovalStatus,
  targets?: ReadonlyMap<string, string>,
): SecretInfo[] {
  const otherKey = new Set(entriesSealedToOtherKey(file));
  return Object.keys(file.secrets)
    .sort()
    .map((name) => {
      const entry = file.secrets[name]!;
      const tagged = entry.approved !== undefined;
      const info: SecretInfo = {
        name,
        type: entry.type,
        updated: entry.updated,
        approved: tagged,
        approval: status(name, tagged),
      };
      if (otherKey.has(name)) info.sealedToOtherKey = true;
      if (entry.expires) info.expires = entry.expires;
      if (entry.owner) info.owner = entry.owner;
      if (entry.ref === true) {
        info.ref = true;
        const target = targets?.get(name);
        if (target !== undefined) info.target = target;
      }
      return info;
    });
}

/** Names, types, dates and approval marks of a stage's secrets, sorted by name. Needs no key, so no tag is checked. */
export function listSecrets(opts: StageOptions): SecretInfo[] {
  return infos(Stage.find(opts).read(), (_name, tagged) => (tagged ? 'unverified' : 'pending'));
}

/** The names of a stage in a folder already found (the contract's scan of an app's stages): no search, no key. */
export function secretNamesIn(dir: string, stage: string, cwd: string, env: NodeJS.ProcessEnv): string[] {
  return Object.keys(Stage.inFolder({ stage, dir, cwd, env }).read().secrets);
}

/** listSecrets, with every tag checked when the stage key is at hand (as set finds it: no waiting on the network). */
export async function listSecretsChecked(
  opts: StageOptions,
  options: { showRefs?: boolean } = {},
): Promise<CheckedList> {
  const stage = Stage.find(opts);
  const file = stage.read();
  const { approvals, ...checked } = await checkedSecrets(file, stage, options.showRefs === true);
  return { ...checked, identities: file.identities.map((record) => identityLine(record, approvals)) };
}

/** An identity in words, with what is known of its confirmation (with the key: checked; without: tagged or not). */
function identityLine(record: IdentityRecord, approvals: Approvals | undefined): string {
  const words = describeIdentity(record);
  if (approvals) {
    const trust = trustOf(record, approvals);
    return trust === 'confirmed' ? words : `${words} [NOT CONFIRMED by a key holder: ${trustProblem(trust)}]`;
  }
  if (record.auth === undefined || derivedId(record) !== record.id)
    return `${words} [NOT CONFIRMED by a key holder: ${trustProblem(record.auth === undefined ? 'untagged' : 'id-not-derived')}]`;
  return words; // a tag without the key is not checked: list says so once for every tag
}

async function checkedSecrets(
  file: StageFile,
  stage: Stage,
  showRefs: boolean,
): Promise<Omit<CheckedList, 'identities'> & { approvals?: Approvals }> {
  const key = await keyAtHand(file, stage.options.env ?? process.env, stage.displayPath);
  const listed = file.allowedRefs ? { prefixes: file.allowedRefs.prefixes, checked: false } : undefined;
  if (!key) {
    const secrets = infos(file, (_name, tagged) => (tagged ? 'unverified' : 'pending'));
    return { secrets, ...(listed ? { allowedRefs: listed } : {}) };
  }
  let approvals: Approvals;
  try {
    approvals = approvalsFor(file, key.privateKey);
  } catch (err) {
    if (!isStageSecretsError(err)) throw err;
    const secrets = infos(file, (_name, tagged) => (tagged ? 'invalid' : 'pending'));
    return { secrets, checkedWith: key.identity.id, problem: err.message };
  }
  const open = file.policy !== undefined && approvals.isOpenPolicy(file.policy.tag);
  const refsChecked = file.allowedRefs && approvals.isAllowedRefsTag(file.allowedRefs.prefixes, file.allowedRefs.tag);
  const problem =
    file.policy && !open
      ? `stage ${file.stage} says policy "${file.policy.mode}", but its tag does not verify.`
      : file.allowedRefs && !refsChecked
        ? `stage ${file.stage} limits reference targets (allowedRefs), but that list's tag does not verify: a writer changed it.`
        : undefined;
  // a reference's tag covers its target: the targets are opened to check it (and shown only when asked)
  const targets = referenceTargets(file, key.privateKey);
  const status = (name: string, tagged: boolean): ApprovalStatus => {
    const entry = file.secrets[name]!;
    if (tagged) {
      const target = entry.ref === true ? targets.get(name) : undefined;
      const ok =
        entry.ref === true
          ? target !== undefined && approvals.isRefApproved(name, target, entry.approved, file.allowedRefs?.prefixes)
          : approvals.isApproved(name, entry.approved);
      return ok ? 'approved' : 'invalid';
    }
    return open ? 'open' : 'pending';
  };
  return {
    secrets: infos(file, status, showRefs ? targets : undefined),
    checkedWith: key.identity.id,
    ...(listed ? { allowedRefs: { ...listed, checked: refsChecked === true } } : {}),
    ...(problem ? { problem } : {}),
    approvals,
  };
}
