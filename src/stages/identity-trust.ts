/**
 * Who can open a stage is decided only by a key holder: each identity record carries a tag (`auth`) under
 * a key derived from the stage private key, over the whole record but its wrapped blob, bound to the
 * approval epoch (core/approval.ts identityTag), and its id must be the one its fields give. A record
 * without such a tag is no identity for rotate and rewrap (they never wrap a key to it); verify, list and
 * review flag it, and a key holder confirms the records they recognise with approve --identities.
 */
import type { Approvals } from '../core/approval.js';
import { StageSecretsError } from '../core/errors.js';
import type { IdentityRecord, StageFile } from '../core/format.js';
import { blobFields, derivedId, whoFields } from '../identities/index.js';

export type IdentityTrust = 'confirmed' | 'untagged' | 'tag-fails' | 'id-not-derived';

export interface RecordTrust {
  record: IdentityRecord;
  trust: IdentityTrust;
}

/** The text a record's tag covers: every field but the wrapped blob and the tag, in a fixed order. */
export function recordTagText(record: IdentityRecord): string {
  const leftOut = new Set([...blobFields(record), 'auth']);
  const fields = record as Record<string, string | undefined>;
  const kept = Object.keys(fields)
    .filter((key) => !leftOut.has(key) && fields[key] !== undefined)
    .sort()
    .map((key) => [key, fields[key]]);
  return JSON.stringify(kept);
}

/** The record with a key holder's tag under `approvals` (its stage key and epoch). */
export function tagRecord(record: IdentityRecord, approvals: Approvals): IdentityRecord {
  const { auth: _old, ...rest } = record;
  return { ...rest, auth: approvals.identityTag(recordTagText(rest as IdentityRecord)) } as IdentityRecord;
}

/** Whether a key holder of this key made the record as it is (its tag verifies and its id is derived). */
export function trustOf(record: IdentityRecord, approvals: Approvals): IdentityTrust {
  if (derivedId(record) !== record.id) return 'id-not-derived';
  if (record.auth === undefined) return 'untagged';
  return approvals.isIdentityTag(recordTagText(record), record.auth) ? 'confirmed' : 'tag-fails';
}

/** Every record of a stage with its trust under `approvals`. */
export function identityTrust(file: Pick<StageFile, 'identities'>, approvals: Approvals): RecordTrust[] {
  return file.identities.map((record) => ({ record, trust: trustOf(record, approvals) }));
}

/** Why a record is not confirmed, in words. */
export function trustProblem(trust: IdentityTrust): string {
  switch (trust) {
    case 'untagged':
      return 'no key holder confirmed it (it has no tag: added by hand or by a writer without the key, or made before identities were tagged)';
    case 'tag-fails':
      return 'its tag does not verify: it was changed (its recipient, key, ARN or region), copied, or confirmed before an approve --revoke/--close';
    case 'id-not-derived':
      return 'its id is not the one its fields give (a hand edit): remove it';
    default:
      return 'confirmed by a key holder';
  }
}

/** Who a record wraps the stage key to, in words: "age recipient age1...", "key alias/x, key ARN ..., region ...". */
export function whoText(record: IdentityRecord): string {
  return whoFields(record)
    .map(([label, value]) => `${label} ${value}`)
    .join(', ');
}

/**
 * What a keyless view knows of a record's confirmation: a tag nobody checked (a writer can make up a
 * well-formed one), or none (no key holder confirmed it; so too an id its fields do not give).
 */
export function keylessTrustText(record: IdentityRecord): string {
  if (derivedId(record) !== record.id) return 'NOT CONFIRMED (its id is not the one its fields give)';
  return record.auth === undefined ? 'NOT CONFIRMED (no key holder tag)' : 'tagged (unverified)';
}

/** Whether a keyless view can tell a record is not confirmed (no tag, or an id its fields do not give). */
export function visiblyUnconfirmed(record: IdentityRecord): boolean {
  return record.auth === undefined || derivedId(record) !== record.id;
}

/** One record as a key holder checks it: id, what it is, and who the key goes to (recipient, key ARN, region). */
export function recordForReview(record: IdentityRecord): string {
  return `${record.id}: ${whoText(record)}; added ${record.created}`;
}

/** The migration and repair command for unconfirmed records. */
export function confirmCommand(stage: string): string {
  return `npx --no-install stage-secrets approve --stage ${stage} --identities`;
}

/**
 * Refuses unconfirmed records by name (rotate, rewrap): a key is never wrapped to a record no key holder
 * confirmed, since a writer without the key could have added it or swapped who it wraps to.
 */
export function refuseUnconfirmed(stage: string, trusts: readonly RecordTrust[], command: string, where: string): void {
  const bad = trusts.filter((t) => t.trust !== 'confirmed');
  if (bad.length === 0) return;
  const lines = bad.map((t) => `- ${recordForReview(t.record)}: ${trustProblem(t.trust)}`);
  const remove = `npx --no-install stage-secrets rewrap --stage ${stage} --remove ID`;
  throw new StageSecretsError(
    'INTEGRITY',
    `${command} of stage ${stage} refused: ${bad.length === 1 ? 'this identity record is' : 'these identity records are'} ` +
      `not confirmed by a key holder, and ${command} never wraps the stage key to such a record (a writer without ` +
      `the key may have added it, or swapped the recipient, key ARN or region under its id):\n${lines.join('\n')}\n` +
      `Check each against who should open the stage. If you recognise it (e.g. a stage made before identities were ` +
      `tagged), confirm it: ${confirmCommand(stage)}. If not, remove it: ${remove} (and review who changed the ` +
      `header: git log -p -- ${where}). Nothing was written.`,
  );
}

/**
 * The identity records a change adds, removes or changes, one line each with who the key is wrapped to
 * (recipient, key ARN, region) and, for a change, who it was wrapped to before: a swap under an unchanged
 * id shows. Keyless: a tag is reported, not checked.
 */
export function identityDiff(
  before: Pick<StageFile, 'identities'> | undefined,
  after: Pick<StageFile, 'identities'>,
): string[] {
  const was = new Map((before?.identities ?? []).map((r) => [r.id, r]));
  const now = new Map(after.identities.map((r) => [r.id, r]));
  const lines: string[] = [];
  for (const [id, record] of now) {
    const old = was.get(id);
    const text = `${id} (${whoText(record)}; ${keylessTrustText(record)})`;
    if (!old) lines.push(`identity added: ${text}`);
    else if (whoText(old) !== whoText(record)) lines.push(`identity ${text}: WAS ${whoText(old)}`);
  }
  for (const [id, record] of was) if (!now.has(id)) lines.push(`identity removed: ${id} (${whoText(record)})`);
  return lines;
}
