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
  /** Decrypts one secret; throws INTEGRITY naming the secret when it does not open. */
  decrypt(name: string): SecretValue;
  /** Decrypts every secret, sorted by name; throws INTEGRITY naming every secret that does not open. */
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
    const lower = name.toLowerCase();
    const other = seen.get(lower);
    if (other)
      problems.push(`${other} and ${name} differ only in case; remove one with npx --no-install stage-secrets rm`);
    seen.set(lower, name);
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
  const pending = open
    ? []
    : Object.keys(file.secrets)
        .filter((name) => !approvals.isApproved(name, file.secrets[name]!.approved))
        .sort();
  const opener = new Opener(privateKey, Buffer.from(file.publicKey, 'base64'));
  const tryDecrypt = (name: string): SecretValue | undefined => {
    const entry = file.secrets[name]!;
    if (sealedToOtherKey.includes(name)) return undefined;
    const text = opener.open(valueAad(file, name, entry.type, entry), entry);
    return text === undefined ? undefined : { type: entry.type, text };
  };
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
      return out;
    },
  };
}
