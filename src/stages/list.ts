import type { Approvals } from '../core/approval.js';
import { isStageSecretsError } from '../core/errors.js';
import type { IdentityRecord, StageFile } from '../core/format.js';
import type { ApprovalStatus, SecretInfo } from './list-types.js';
import { approvalsFor } from './approval-epoch.js';
import { entriesSealedToOtherKey, keyAtHand } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage } from './stage.js';
import { derivedId, describeIdentity } from '../identities/index.js';
import { trustOf, trustProblem } from './identity-trust.js';

export type { ApprovalStatus, SecretInfo } from './list-types.js';

export interface CheckedList {
  secrets: SecretInfo[];
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

function infos(file: StageFile, status: (name: string, tagged: boolean) => ApprovalStatus): SecretInfo[] {
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
export async function listSecretsChecked(opts: StageOptions): Promise<CheckedList> {
  const stage = Stage.find(opts);
  const file = stage.read();
  const { approvals, ...checked } = await checkedSecrets(file, stage);
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
): Promise<Omit<CheckedList, 'identities'> & { approvals?: Approvals }> {
  const key = await keyAtHand(file, stage.options.env ?? process.env, stage.displayPath);
  if (!key) return { secrets: infos(file, (_name, tagged) => (tagged ? 'unverified' : 'pending')) };
  let approvals: Approvals;
  try {
    approvals = approvalsFor(file, key.privateKey);
  } catch (err) {
    if (!isStageSecretsError(err)) throw err;
    const secrets = infos(file, (_name, tagged) => (tagged ? 'invalid' : 'pending'));
    return { secrets, checkedWith: key.identity.id, problem: err.message };
  }
  const open = file.policy !== undefined && approvals.isOpenPolicy(file.policy.tag);
  const problem =
    file.policy && !open
      ? `stage ${file.stage} says policy "${file.policy.mode}", but its tag does not verify.`
      : undefined;
  const status = (name: string, tagged: boolean): ApprovalStatus => {
    if (tagged) return approvals.isApproved(name, file.secrets[name]!.approved) ? 'approved' : 'invalid';
    return open ? 'open' : 'pending';
  };
  return { secrets: infos(file, status), checkedWith: key.identity.id, ...(problem ? { problem } : {}), approvals };
}
