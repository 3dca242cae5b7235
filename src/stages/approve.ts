import { StageSecretsError } from '../core/errors.js';
import { MAX_REF_PREFIXES, REF_PREFIX, type StageFile } from '../core/format.js';
import type { IdentityRecord } from '../core/format.js';
import { epochLine } from './approval-epoch.js';
import { identityTrust, tagRecord, trustOf, type IdentityTrust } from './identity-trust.js';
import {
  keyAtHand,
  openStageFile,
  refsOutsideAllowedError,
  sealedToOtherKeyError,
  type OpenedStage,
} from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';

export interface PendingName {
  name: string;
  type: string;
  updated: string;
  /** a reference (set --ref): approving it approves its target */
  ref?: true;
}

export interface ApproveResult {
  /** what was pending before, with when each was last set: what the key holder is approving */
  pendingBefore: PendingName[];
  approved: string[];
  /** still pending afterwards */
  pending: string[];
  /** the stage's policy is open afterwards */
  open: boolean;
  /** the targets of the pending references, for the key holder to see what they approve */
  targets?: Record<string, string>;
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
      ...(current.secrets[name]!.ref === true ? { ref: true as const } : {}),
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
    refuseOutsideAllowed(opened, toApprove);
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const name of toApprove)
      next.secrets[name] = { ...current.secrets[name]!, approved: opened.approvalTagOf(name) };
    if (request.open) next.policy = { mode: 'open', tag: opened.approvals.openPolicyTag() };
    const open = opened.open || request.open === true;
    const approvedNow = new Set(toApprove);
    const targets = Object.fromEntries(
      pendingBefore
        .filter((p) => p.ref && opened.references.has(p.name))
        .map((p) => [p.name, opened.references.get(p.name)!]),
    );
    result = {
      pendingBefore,
      ...(Object.keys(targets).length ? { targets } : {}),
      approved: [...approvedNow].sort(),
      pending: open ? [] : opened.pending.filter((name) => !approvedNow.has(name)),
      open,
    };
    return next;
  });
  return result!;
}

/** A reference whose target the allowed prefixes do not cover is never approved: the build would refuse it. */
function refuseOutsideAllowed(opened: OpenedStage, names: string[]): void {
  const outside = names.filter((name) => opened.refsOutsideAllowed.includes(name));
  if (outside.length === 0) return;
  const refs = outside.map((name) => ({ name, target: opened.references.get(name)! }));
  const refusal = refsOutsideAllowedError(opened.file, refs, opened.allowedRefs!);
  throw new StageSecretsError(
    'UNAPPROVED',
    `not approving: ${refusal.message.replace('Nothing of this stage was used', 'Nothing was approved')}`,
  );
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
      const { approved: _old, ...entry } = current.secrets[name]!;
      const stays = !revoking.has(name) && opened.isTagged(name);
      next.secrets[name] = stays ? { ...entry, approved: opened.approvalTagOf(name, after) } : entry;
      (stays ? kept : pending).push(name);
    }
    const open = opened.open && request.close !== true;
    if (open) next.policy = { mode: 'open', tag: after.openPolicyTag() };
    else delete next.policy;
    // the list of allowed reference targets verified under `before` (openStageFile): tagged again at the new epoch
    if (current.allowedRefs) {
      const prefixes = current.allowedRefs.prefixes;
      next.allowedRefs = { prefixes, tag: after.allowedRefsTag(prefixes) };
    }
    // identity records a key holder confirmed stay confirmed at the new epoch; no other record is tagged
    next.identities = current.identities.map((record) =>
      trustOf(record, before) === 'confirmed' ? tagRecord(record, after) : record,
    );
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

export interface UnconfirmedIdentity {
  record: IdentityRecord;
  trust: Exclude<IdentityTrust, 'confirmed'>;
  /** this record unwrapped the stage key here: it holds the stage key, whoever added it */
  openedHere: boolean;
}

export interface ConfirmIdentitiesResult {
  /** every record no key holder had confirmed, as shown to the key holder */
  unconfirmed: UnconfirmedIdentity[];
  confirmed: string[];
  /** records left unconfirmed (declined, or not confirmable: an id not derived from its fields) */
  left: string[];
}

/**
 * A key holder confirms identity records (the migration of stages made before records were tagged, and
 * the repair after a hand edit): each record no key holder confirmed is shown to `decide` (with its
 * recipient, key ARN, region) and tagged when it says yes. `ids` limits it to those records. A record whose
 * id is not the one its fields give is never confirmed (remove it with rewrap --remove). Needs the stage key.
 */
export async function confirmIdentities(
  opts: StageOptions,
  request: { ids: string[]; decide: (item: UnconfirmedIdentity) => Promise<boolean> },
): Promise<ConfirmIdentitiesResult> {
  const store = Stage.find(opts).store;
  let result: ConfirmIdentitiesResult | undefined;
  await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    const env = opts.env ?? process.env;
    await keyAtHand(current, env, store.displayPath(opts.stage));
    const opened = await openStageFile(current, env, { reportOtherKey: true });
    for (const id of request.ids) {
      if (!current.identities.some((r) => r.id === id)) {
        const has = current.identities.map((r) => r.id).join(', ');
        throw new StageSecretsError('NOT_FOUND', `stage ${opts.stage} has no identity ${id}; it has: ${has}.`);
      }
    }
    const unconfirmed: UnconfirmedIdentity[] = [];
    for (const { record, trust } of identityTrust(current, opened.approvals)) {
      if (trust === 'confirmed') continue;
      if (request.ids.length > 0 && !request.ids.includes(record.id)) continue;
      unconfirmed.push({ record, trust, openedHere: record === opened.identity });
    }
    const confirmed: string[] = [];
    const left: string[] = [];
    const identities = [...current.identities];
    for (const item of unconfirmed) {
      const yes = item.trust !== 'id-not-derived' && (await request.decide(item));
      if (!yes) {
        left.push(item.record.id);
        continue;
      }
      identities[identities.indexOf(item.record)] = tagRecord(item.record, opened.approvals);
      confirmed.push(item.record.id);
    }
    result = { unconfirmed, confirmed, left };
    return confirmed.length ? { ...current, identities } : current;
  });
  return result!;
}

export interface AllowRefsResult {
  /** the list before (undefined: every target was allowed) and after */
  before: readonly string[] | undefined;
  after: readonly string[] | undefined;
  /** references of the stage whose target the new list does not cover: the build refuses them now */
  outside: Array<{ name: string; target: string }>;
}

/** Checks prefixes as approve --allow-ref takes them: each names a store, printable, the list not too long. */
export function checkRefPrefixes(prefixes: readonly string[]): string[] {
  const bad = prefixes.filter((p) => !REF_PREFIX.test(p));
  if (bad.length > 0) {
    throw new StageSecretsError(
      'USAGE',
      `--allow-ref takes a reference target prefix that starts with ssm:/ or secretsmanager: (printable, no spaces), ` +
        'e.g. --allow-ref ssm:/org/shared/ or --allow-ref secretsmanager:prod/; end it with / to allow one folder only.',
    );
  }
  const unique = [...new Set(prefixes)].sort();
  if (unique.length > MAX_REF_PREFIXES) {
    throw new StageSecretsError('USAGE', `--allow-ref takes at most ${MAX_REF_PREFIXES} prefixes.`);
  }
  return unique;
}

/**
 * A key holder limits reference targets to `prefixes` (replacing the list), or lifts the limit (`undefined`).
 * The list is tagged under the approval key at the current epoch, so a writer cannot widen it. A list a writer
 * changed (its tag fails) is replaced here: that is the repair. Writes only the header.
 */
export async function setAllowedRefs(
  opts: StageOptions,
  prefixes: readonly string[] | undefined,
): Promise<AllowRefsResult> {
  const list = prefixes === undefined ? undefined : checkRefPrefixes(prefixes);
  const store = Stage.find(opts).store;
  let result: AllowRefsResult | undefined;
  await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    const env = opts.env ?? process.env;
    await keyAtHand(current, env, store.displayPath(opts.stage));
    const opened = await openStageFile(current, env, { reportOtherKey: true, replacingAllowedRefs: true });
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    if (list === undefined) delete next.allowedRefs;
    else next.allowedRefs = { prefixes: list, tag: opened.approvals.allowedRefsTag(list) };
    // reference tags cover the list: those that verified under the old one (if its tag verified) are tagged anew
    const oldVerified =
      current.allowedRefs === undefined ||
      opened.approvals.isAllowedRefsTag(current.allowedRefs.prefixes, current.allowedRefs.tag);
    for (const name of opened.references.keys()) {
      if (oldVerified && opened.isTagged(name))
        next.secrets[name] = {
          ...current.secrets[name]!,
          approved: opened.approvalTagOf(name, undefined, list ?? null),
        };
    }
    const outside = [...opened.references]
      .filter(([, target]) => list !== undefined && !list.some((p) => target.startsWith(p)))
      .map(([name, target]) => ({ name, target }));
    result = { before: current.allowedRefs?.prefixes, after: list, outside };
    return next;
  });
  return result!;
}
