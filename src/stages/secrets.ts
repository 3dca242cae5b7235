import { publicKeyFingerprint, Sealer } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import { EXPIRES, MAX_OWNER, OWNER } from '../core/entry-file.js';
import { FORMAT_VERSION, type SecretEntry, type StageFile } from '../core/format.js';
import { assertKeyName } from '../core/names.js';
import { normalizeValue, type SecretType } from '../core/values.js';
import { isAllowedTarget, keyAtHand } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';
import { approvalsFor } from './approval-epoch.js';
import { type EntryMeta, valueAad } from './sealing.js';

export interface NewSecret {
  name: string;
  type: SecretType;
  /** as typed by the user; checked and normalised here */
  value: string;
  /** when it expires (YYYY-MM-DD or an ISO-8601 UTC time) and who answers for it; default: kept from the
   * entry it replaces. Only a version-3 stage stores them. */
  expires?: string;
  owner?: string;
  /** a reference: `value` is the canonical target text (src/aws/references.ts parseReferenceTarget), and `type`
   * the type of the value it yields. Version-3 stages only. */
  ref?: true;
}

/** A reference entry's refusals that need no key: the stage's format, and the header's allowed prefixes. */
function checkReference(s: NewSecret, current: StageFile, stage: string): void {
  if (current.version !== FORMAT_VERSION) {
    throw new StageSecretsError(
      'UNSUPPORTED_VERSION',
      `a reference is stored only in a stage of format version 3; upgrade the stage first (no key needed): ` +
        `npx --no-install stage-secrets upgrade --stage ${stage}`,
    );
  }
  const prefixes = current.allowedRefs?.prefixes;
  if (!isAllowedTarget(s.value, prefixes)) {
    throw new StageSecretsError(
      'USAGE',
      `--ref for ${s.name}: the target ${s.value} starts with none of the prefixes a key holder allowed for stage ` +
        `${stage} (${prefixes!.join(', ')}); the build would refuse it. Use a target under one of them, or ask a key ` +
        `holder to widen the list (npx --no-install stage-secrets approve --stage ${stage} --allow-ref PREFIX ...).`,
    );
  }
}

/** The expiry and owner a write seals with: as given, else those of the entry it replaces. */
function entryMeta(s: NewSecret, previous: SecretEntry | undefined, v3: boolean, stage: string): EntryMeta {
  const expires = s.expires ?? previous?.expires;
  const owner = s.owner ?? previous?.owner;
  if ((s.expires !== undefined || s.owner !== undefined) && !v3) {
    throw new StageSecretsError(
      'UNSUPPORTED_VERSION',
      `an expiry or owner is stored only in a stage of format version 3; upgrade the stage first (no key needed): ` +
        `npx --no-install stage-secrets upgrade --stage ${stage}`,
    );
  }
  if (expires !== undefined && !EXPIRES.test(expires)) {
    throw new StageSecretsError(
      'USAGE',
      `--expires for ${s.name} is not a date: use YYYY-MM-DD or an ISO-8601 UTC time.`,
    );
  }
  if (owner !== undefined && (!OWNER.test(owner) || owner.length > MAX_OWNER)) {
    throw new StageSecretsError(
      'USAGE',
      `--owner for ${s.name} must be 1 to ${MAX_OWNER} printable ASCII characters (it is printed in CI logs).`,
    );
  }
  return { ...(expires ? { expires } : {}), ...(owner ? { owner } : {}) };
}

function sameNameOtherCase(names: Iterable<string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const existing of names) if (existing !== name && existing.toLowerCase() === lower) return existing;
  return undefined;
}

export interface SetResult {
  added: string[];
  replaced: string[];
  /** names written here that still need a key holder's approval (no key at hand) */
  pending: string[];
  /** the identity that approved the new names, when one was at hand */
  approvedWith?: string;
}

/**
 * Seals new or replaced secrets with the public key only. All or nothing: one bad entry, no write.
 * A replaced value keeps its name's approval; a name is approved when a key is at hand, else pending.
 */
export async function setSecrets(opts: StageOptions, secrets: NewSecret[]): Promise<SetResult> {
  const normalized = secrets.map((s) => {
    assertKeyName(s.name);
    // a reference's value is its target (canonical already); the type applies to what the target yields
    return s.ref ? s : { ...s, value: normalizeValue(s.name, s.type, s.value) };
  });
  const batchNames = new Map<string, string>();
  for (const s of normalized) {
    const clash = batchNames.get(s.name.toLowerCase());
    if (clash !== undefined && clash !== s.name) {
      throw new StageSecretsError('INVALID_NAME', `${clash} and ${s.name} differ only in case; pick one name.`);
    }
    batchNames.set(s.name.toLowerCase(), s.name);
  }
  const store = Stage.find(opts).store;
  const added: string[] = [];
  const replaced: string[] = [];
  const pending: string[] = [];
  let approvedWith: string | undefined;
  // only the entries written are read (and the header): a set on a stage of 1,000 secrets reads one file
  const only = new Set(normalized.map((s) => s.name));
  await store.update(
    opts.stage,
    async (found, names) => {
      const current = requireCurrent(found, opts, store);
      // a reference's tag covers its target: a key holder's write of one (or over one) always tags it anew
      const needsApproval = normalized.some(
        (s) =>
          s.ref === true ||
          !(Object.hasOwn(current.secrets, s.name) && current.secrets[s.name]!.approved) ||
          current.secrets[s.name]!.ref === true,
      );
      // asked even when nothing needs approval: a key here that does not match the file refuses the write
      const key = await keyAtHand(current, opts.env ?? process.env, store.displayPath(opts.stage));
      const approvals = needsApproval && key ? approvalsFor(current, key.privateKey) : undefined;
      approvedWith = approvals ? key?.identity.id : undefined;
      const sealer = new Sealer(Buffer.from(current.publicKey, 'base64'));
      const updated = new Date().toISOString();
      const next: StageFile = { ...current, secrets: { ...current.secrets } };
      for (const s of normalized) {
        const clash = sameNameOtherCase(names, s.name);
        if (clash) {
          throw new StageSecretsError(
            'INVALID_NAME',
            `stage ${opts.stage} already has ${clash}, which differs from ${s.name} only in case; use the same spelling or rm ${clash} first.`,
          );
        }
        const previous = Object.hasOwn(current.secrets, s.name) ? current.secrets[s.name] : undefined;
        (previous ? replaced : added).push(s.name);
        if (s.ref) checkReference(s, current, opts.stage);
        // a value's tag depends on the name only: a key holder's write (re)approves it, anyone's replacement of a
        // value by a value keeps it. A reference's covers its target: without a key, writing one (or replacing
        // one) leaves the name pending.
        const keeps = previous?.ref !== true && s.ref !== true;
        const approved = approvals
          ? s.ref
            ? approvals.refTag(s.name, s.value, current.allowedRefs?.prefixes)
            : approvals.nameTag(s.name)
          : keeps
            ? previous?.approved
            : undefined;
        if (!approved) pending.push(s.name);
        const meta: EntryMeta = {
          ...entryMeta(s, previous, current.version === FORMAT_VERSION, opts.stage),
          ...(s.ref ? { ref: true as const } : {}),
        };
        const entry: SecretEntry = {
          type: s.type,
          updated,
          ...meta,
          ...sealer.seal(valueAad(current, s.name, s.type, meta), s.value),
          ...(approved ? { approved } : {}),
          ...(current.version === FORMAT_VERSION ? { sealedTo: publicKeyFingerprint(current.publicKey) } : {}),
        };
        next.secrets[s.name] = entry;
      }
      return next;
    },
    { only },
  );
  return { added, replaced, pending, approvedWith };
}

/**
 * Removes secrets by name; an unknown name writes nothing. Resolves to the removed names that carried an
 * approval tag: their entries in git history still carry it (approve --revoke voids it).
 */
export async function removeSecrets(opts: StageOptions, names: string[]): Promise<{ tagged: string[] }> {
  const store = Stage.find(opts).store;
  const tagged = new Set<string>();
  await store.update(
    opts.stage,
    async (found, all) => {
      const current = requireCurrent(found, opts, store);
      await keyAtHand(current, opts.env ?? process.env, store.displayPath(opts.stage));
      const next: StageFile = { ...current, secrets: { ...current.secrets } };
      for (const name of names) {
        if (!Object.hasOwn(next.secrets, name)) {
          const other = sameNameOtherCase(all, name);
          const hint = other
            ? `; it has ${other} (names are case-sensitive)`
            : `; see npx --no-install stage-secrets list --stage ${opts.stage}`;
          throw new StageSecretsError('NOT_FOUND', `stage ${opts.stage} has no secret named ${name}${hint}.`);
        }
        if (next.secrets[name]!.approved !== undefined) tagged.add(name);
        delete next.secrets[name];
      }
      return next;
    },
    { only: new Set(names) },
  );
  return { tagged: [...tagged].sort() };
}
