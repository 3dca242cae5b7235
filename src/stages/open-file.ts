/**
 * Opening a stage file that is already read: unwrap the key (once per process), check names, policy and
 * approvals, decrypt. No file access of its own, so the Lambda runtime wrapper (src/runtime) shares it.
 */
import { createHash } from 'node:crypto';
import type { Approvals } from '../core/approval.js';
import { Opener, publicKeyFingerprint, publicKeyOf } from '../core/crypto.js';
import { StageSecretsError, type ErrorCode } from '../core/errors.js';
import type { IdentityRecord, StageFile } from '../core/format.js';
import { reservedReason } from '../core/names.js';
import type { SecretValue } from '../core/values.js';
import { canTryQuickly, identityOf, keyIsHere, quickEnv, strayKey } from '../identities/index.js';
import { approvalsFor } from './approval-epoch.js';
import { contextOf, valueAad } from './sealing.js';

export interface OpenedStage {
  file: StageFile;
  /** the identity that opened the stage */
  identity: IdentityRecord;
  identityDescription: string;
  /** checks and makes approval tags under this stage's key, at the file's (verified) approval epoch */
  approvals: Approvals;
  /** names no key holder approved, sorted (none when the stage's policy is open) */
  pending: string[];
  /** a key holder set `policy: open`: names need no approval */
  open: boolean;
  /** entries sealed to another key than the header's (rotate-vs-add merges), sorted; they never open */
  sealedToOtherKey: string[];
  /** reference entries that open: name -> canonical target, sorted by name */
  references: ReadonlyMap<string, string>;
  /** the reference target prefixes a key holder allowed (approve --allow-ref); undefined: any target */
  allowedRefs: readonly string[] | undefined;
  /** references whose target starts with none of allowedRefs, sorted; the build refuses them */
  refsOutsideAllowed: string[];
  /**
   * The tag a key holder gives `name` as it is now (a reference's covers its target and the allowed prefixes:
   * `allowed`, default the header's; null: no list), under `approvals` (default the stage's).
   */
  approvalTagOf(name: string, approvals?: Approvals, allowed?: readonly string[] | null): string;
  /** Whether `name` carries a tag that verifies for what it is now (a value, or a reference to its target). */
  isTagged(name: string): boolean;
  /** Decrypts one secret; throws INTEGRITY naming the secret when it does not open. */
  decrypt(name: string): SecretValue;
  /**
   * Decrypts every secret, sorted by name; throws INTEGRITY naming every secret that does not open, and
   * UNAPPROVED naming every reference whose target the header's allowed prefixes do not cover.
   */
  decryptAll(): Map<string, SecretValue>;
}

export interface UnwrappedKey {
  privateKey: Buffer;
  identity: IdentityRecord;
  description: string;
}

// Unwrapped stage keys, per process: a stage is unwrapped (one KMS Decrypt) once, however many callers.
const unwrapped = new Map<string, Buffer>();

/** Clears the per-process key cache (tests, and rotate after it replaced the key). */
export function forgetUnwrappedKeys(): void {
  for (const key of unwrapped.values()) key.fill(0);
  unwrapped.clear();
}

const SEVERITY: ErrorCode[] = ['INTEGRITY', 'FORMAT', 'ACCESS_DENIED', 'KEY_UNAVAILABLE', 'KEY_MISSING'];

interface IdentityFailure {
  record: IdentityRecord;
  error: StageSecretsError;
}

/** Tries each identity in order; the first that yields the private key of the file's publicKey wins. */
async function tryIdentities(
  file: StageFile,
  env: NodeJS.ProcessEnv,
): Promise<{ key?: UnwrappedKey; failures: IdentityFailure[] }> {
  const ctx = contextOf(file);
  const failures: IdentityFailure[] = [];
  for (const record of file.identities) {
    const identity = await identityOf(record, env);
    const cacheKey = createHash('sha256')
      .update(JSON.stringify([record, ctx]))
      .digest('hex');
    let privateKey = unwrapped.get(cacheKey);
    if (!privateKey) {
      try {
        privateKey = await identity.unwrap(ctx);
      } catch (err) {
        if (!(err instanceof StageSecretsError)) throw err;
        failures.push({ record, error: err });
        continue;
      }
      if (!publicKeyOf(privateKey).equals(Buffer.from(file.publicKey, 'base64'))) {
        privateKey.fill(0);
        const changed = '(the publicKey field was changed)';
        const message = `identity ${record.id} holds a key that does not match the stage public key ${changed}`;
        failures.push({ record, error: new StageSecretsError('INTEGRITY', message) });
        continue;
      }
      unwrapped.set(cacheKey, privateKey);
    }
    return { key: { privateKey, identity: record, description: identity.description }, failures };
  }
  return { failures };
}

/** Tries each identity in order; the first that yields the stage private key wins. */
export async function unwrapStageKey(file: StageFile, env: NodeJS.ProcessEnv): Promise<UnwrappedKey> {
  const { key, failures } = await tryIdentities(file, env);
  if (key) return key;
  const worst = SEVERITY.find((code) => failures.some((f) => f.error.code === code)) ?? 'KEY_MISSING';
  const detail = failures.map((f) => `- ${f.error.message}`).join('\n');
  throw new StageSecretsError(worst, `cannot open stage ${file.stage}: no identity could unwrap its key.\n${detail}`);
}

/** A key at hand that belongs to another stage key than the file's: writing now could seal to someone else. */
function keyMismatch(problem: string, where: string, extraFix = ''): StageSecretsError {
  return new StageSecretsError(
    'INTEGRITY',
    `${problem}: its publicKey or identities were changed (by a hostile branch or a bad merge), so a value written ` +
      `now could be sealed to someone else's key. Nothing was written. See who changed them: git log -p -- ${where}; ` +
      `restore them from a trusted branch (e.g. git checkout origin/main -- ${where}, then set again what this ` +
      `branch added) and run the command again.${extraFix}`,
  );
}

/**
 * The stage key if an identity is at hand without waiting on the network (set and import approve what
 * they write with it): a local key present here, or KMS with configured credentials, one attempt.
 * Undefined when no key is here (a writer without a key still writes). Every writing command calls it
 * first: a key here that does not match the file (`where`) throws INTEGRITY, since the file's publicKey
 * or identities were changed and a value sealed now could go to someone else's key.
 */
export async function keyAtHand(
  file: StageFile,
  env: NodeJS.ProcessEnv,
  where: string,
): Promise<UnwrappedKey | undefined> {
  const identities = file.identities.filter((record) => canTryQuickly(record, env));
  const quick = quickEnv(identities, env);
  const { key, failures } = identities.length ? await tryIdentities({ ...file, identities }, quick) : { failures: [] };
  if (key) return key;
  const mismatch = failures.find((f) => f.error.code === 'INTEGRITY');
  if (mismatch) {
    const unwraps = keyIsHere(mismatch.record) ? 'is here, but its wrapped key' : 'unwraps a key that';
    throw keyMismatch(`identity ${mismatch.record.id} ${unwraps} does not match ${where}`, where);
  }
  const stray = strayKey(file.identities, file.stage, env);
  if (stray) throw keyMismatch(`${stray.holder}, which is no identity of ${where}`, where, stray.fix);
  return undefined;
}

/** Problems with names already in a file (a hand edit or a hostile pull request can put them there). */
function fileNameProblems(file: StageFile): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const name of Object.keys(file.secrets)) {
    const reason = reservedReason(name);
    if (reason)
      problems.push(`${reason}; remove it with: npx --no-install stage-secrets rm --stage ${file.stage} ${name}`);
    const other = seen.get(name.toLowerCase());
    if (other)
      problems.push(`${other} and ${name} differ only in case; remove one with npx --no-install stage-secrets rm`);
    seen.set(name.toLowerCase(), name);
  }
  return problems;
}

/** Names of entries whose `sealedTo` is not the header's key, sorted. Needs no key. */
export function entriesSealedToOtherKey(file: Pick<StageFile, 'publicKey' | 'secrets'>): string[] {
  const own = publicKeyFingerprint(file.publicKey);
  return Object.keys(file.secrets)
    .filter((name) => {
      const sealedTo = file.secrets[name]!.sealedTo;
      return sealedTo !== undefined && sealedTo !== own;
    })
    .sort();
}

/**
 * An entry sealed to a retired key: a branch added it before the stage was rotated, and it was merged
 * after. It cannot open with this key, and should not be trusted if it could: whoever held the old key
 * may read it, which is often why the stage was rotated.
 */
export function sealedToOtherKeyError(file: Pick<StageFile, 'stage'>, names: string[]): StageSecretsError {
  const them = names.length === 1 ? 'it' : 'them';
  const sets = names.map((n) => `npx --no-install stage-secrets set --stage ${file.stage} ${n}`).join('; ');
  return new StageSecretsError(
    'INTEGRITY',
    `stage ${file.stage} has ${names.length === 1 ? 'an entry' : 'entries'} sealed to another key than the stage's ` +
      `(its sealedTo is not the header's key): ${names.join(', ')}. A branch set ${them} before the stage was ` +
      'rotated and was merged after, so the value is sealed to the previous key: this key cannot open it, and ' +
      'whoever held the previous key may read it (often why the stage was rotated). Nothing of this stage was used. ' +
      `Set ${them} again with a fresh value (${sets}), or remove ${them} with stage-secrets rm.`,
  );
}

export interface OpenStageOptions {
  /** report entries sealed to another key (verify, approve) instead of refusing the stage */
  reportOtherKey?: boolean;
  /** approve --allow-ref / --clear-allow-ref replace the list: its old tag need not verify */
  replacingAllowedRefs?: boolean;
}

/**
 * The targets of a stage's reference entries that open under `privateKey` (name -> canonical target): what
 * list shows a key holder and checks reference approvals with. Entries that do not open are left out.
 */
export function referenceTargets(file: StageFile, privateKey: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const names = Object.keys(file.secrets).filter((name) => file.secrets[name]!.ref === true);
  if (names.length === 0) return out;
  const own = publicKeyFingerprint(file.publicKey);
  const opener = new Opener(privateKey, Buffer.from(file.publicKey, 'base64'));
  for (const name of names.sort()) {
    const entry = file.secrets[name]!;
    if (entry.sealedTo !== undefined && entry.sealedTo !== own) continue;
    const target = opener.open(valueAad(file, name, entry.type, entry), entry);
    if (target !== undefined) out.set(name, target);
  }
  return out;
}

/** Whether a reference target is under one of the allowed prefixes (none given: every target is). */
export function isAllowedTarget(target: string, prefixes: readonly string[] | undefined): boolean {
  return prefixes === undefined || prefixes.some((prefix) => target.startsWith(prefix));
}

/** The build's refusal of references outside the allowed prefixes: names each name, its target and the fix. */
export function refsOutsideAllowedError(
  file: Pick<StageFile, 'stage'>,
  outside: ReadonlyArray<{ name: string; target: string }>,
  prefixes: readonly string[],
): StageSecretsError {
  const each = outside.map((r) => `${r.name} -> ${r.target}`).join(', ');
  const allowed = prefixes.join(', ');
  const widen = prefixes.map((p) => `--allow-ref ${p}`).join(' ');
  return new StageSecretsError(
    'UNAPPROVED',
    `stage ${file.stage} has ${outside.length === 1 ? 'a reference' : 'references'} whose target starts with none ` +
      `of the prefixes a key holder allowed (${allowed}): ${each}. Nothing of this stage was used. Point ` +
      `${outside.length === 1 ? 'it' : 'them'} at a target under an allowed prefix (npx --no-install stage-secrets set ` +
      `--stage ${file.stage} NAME --ref TARGET), remove ${outside.length === 1 ? 'it' : 'them'} with rm, or have a ` +
      `key holder widen the list: npx --no-install stage-secrets approve --stage ${file.stage} ${widen} --allow-ref PREFIX.`,
  );
}

/** Opens a stage file the caller has already read and checked. */
export async function openStageFile(
  file: StageFile,
  env: NodeJS.ProcessEnv,
  options: OpenStageOptions = {},
): Promise<OpenedStage> {
  const sealedToOtherKey = entriesSealedToOtherKey(file);
  if (sealedToOtherKey.length > 0 && !options.reportOtherKey) throw sealedToOtherKeyError(file, sealedToOtherKey);
  const problems = fileNameProblems(file);
  if (problems.length) {
    throw new StageSecretsError(
      'FORMAT',
      `stage ${file.stage} holds names that cannot be used:\n- ${problems.join('\n- ')}`,
    );
  }
  const { privateKey, identity, description } = await unwrapStageKey(file, env);
  const approvals = approvalsFor(file, privateKey);
  const open = file.policy !== undefined && approvals.isOpenPolicy(file.policy.tag);
  if (file.policy && !open) {
    throw new StageSecretsError(
      'INTEGRITY',
      `stage ${file.stage} says policy "${file.policy.mode}", but no key holder set it (its tag does not verify): a writer without the key changed it, or copied it from an earlier version (a key holder closed it with approve --close). Restore the stage file from git, or have a key holder run: npx --no-install stage-secrets approve --stage ${file.stage} --open`,
    );
  }
  const allowedRefs = file.allowedRefs?.prefixes;
  if (
    file.allowedRefs &&
    !options.replacingAllowedRefs &&
    !approvals.isAllowedRefsTag(allowedRefs!, file.allowedRefs.tag)
  ) {
    throw new StageSecretsError(
      'INTEGRITY',
      `stage ${file.stage} limits reference targets (allowedRefs), but no key holder set that list (its tag does not ` +
        'verify): a writer without the key changed it, or copied it from an earlier version. Nothing of this stage ' +
        'was used. Restore the stage file from git, or have a key holder set the list again: npx --no-install ' +
        `stage-secrets approve --stage ${file.stage} --allow-ref PREFIX (or --clear-allow-ref).`,
    );
  }
  const opener = new Opener(privateKey, Buffer.from(file.publicKey, 'base64'));
  const tryDecrypt = (name: string): SecretValue | undefined => {
    const entry = file.secrets[name]!;
    if (sealedToOtherKey.includes(name)) return undefined;
    const text = opener.open(valueAad(file, name, entry.type, entry), entry);
    if (text === undefined) return undefined;
    return entry.ref === true ? { type: entry.type, text, ref: true } : { type: entry.type, text };
  };
  // a reference's approval covers its target, so its target is opened here (targets are not values)
  const references = new Map<string, string>();
  for (const name of Object.keys(file.secrets).sort()) {
    if (file.secrets[name]!.ref !== true) continue;
    const target = tryDecrypt(name);
    if (target) references.set(name, target.text);
  }
  const isTagged = (name: string): boolean => {
    const entry = file.secrets[name]!;
    if (entry.ref !== true) return approvals.isApproved(name, entry.approved);
    const target = references.get(name);
    return target !== undefined && approvals.isRefApproved(name, target, entry.approved, allowedRefs);
  };
  const pending = open
    ? []
    : Object.keys(file.secrets)
        .filter((name) => !isTagged(name))
        .sort();
  const refsOutsideAllowed = [...references]
    .filter(([, target]) => !isAllowedTarget(target, allowedRefs))
    .map(([name]) => name);
  const integrityError = (names: string[]) =>
    new StageSecretsError(
      'INTEGRITY',
      `integrity check failed for ${names.join(', ')} in stage ${file.stage}: the value was changed, or moved from another secret, stage or app. Set it again or restore the stage file from git.`,
    );
  return {
    file,
    identity,
    identityDescription: description,
    approvals,
    pending,
    open,
    sealedToOtherKey,
    references,
    allowedRefs,
    refsOutsideAllowed,
    approvalTagOf(name, under = approvals, allowed = allowedRefs ?? null) {
      const entry = file.secrets[name]!;
      if (entry.ref !== true) return under.nameTag(name);
      const target = references.get(name);
      if (target === undefined) throw integrityError([name]);
      return under.refTag(name, target, allowed ?? undefined);
    },
    isTagged,
    decrypt(name) {
      if (!Object.hasOwn(file.secrets, name)) {
        throw new StageSecretsError('NOT_FOUND', `stage ${file.stage} has no secret named ${name}.`);
      }
      if (sealedToOtherKey.includes(name)) throw sealedToOtherKeyError(file, [name]);
      const value = tryDecrypt(name);
      if (!value) throw integrityError([name]);
      return value;
    },
    decryptAll() {
      const out = new Map<string, SecretValue>();
      const failed: string[] = [];
      for (const name of Object.keys(file.secrets).sort()) {
        const value = tryDecrypt(name);
        if (value) out.set(name, value);
        else failed.push(name);
      }
      const other = failed.filter((name) => sealedToOtherKey.includes(name));
      if (other.length) throw sealedToOtherKeyError(file, other);
      if (failed.length) throw integrityError(failed);
      if (refsOutsideAllowed.length > 0) {
        const outside = refsOutsideAllowed.map((name) => ({ name, target: references.get(name)! }));
        throw refsOutsideAllowedError(file, outside, allowedRefs!);
      }
      return out;
    },
  };
}
