import { createHash } from 'node:crypto';
import { associatedData, generateStageKeyPair, Opener, publicKeyOf, Sealer } from './crypto.js';
import { StageSecretsError, type ErrorCode } from './errors.js';
import type { IdentityRecord, SecretEntry, StageFile } from './format.js';
import { FORMAT_VERSION } from './format.js';
import { assertKeyName, assertStageName, reservedReason } from './names.js';
import { normalizeValue, type SecretType, type SecretValue } from './values.js';
import { providerFor, type IdentitySpec, type StageContext } from '../identities/index.js';
import { StageStore } from '../store/stage-store.js';
import type { StoreFs } from '../store/fs-types.js';

export interface StageOptions {
  stage: string;
  /** secrets folder; default STAGE_SECRETS_DIR, else "secrets" */
  dir?: string;
  /** expected app; when given, a stage file of another app is refused */
  app?: string;
  /** where the app was named, for the mismatch message */
  appSource?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  fs?: StoreFs;
}

export interface NewSecret {
  name: string;
  type: SecretType;
  /** as typed by the user; checked and normalised here */
  value: string;
}

export interface SecretInfo {
  name: string;
  type: SecretType;
  updated: string;
}

export interface OpenedStage {
  file: StageFile;
  /** the identity that opened the stage */
  identity: IdentityRecord;
  identityDescription: string;
  /** Decrypts one secret; throws INTEGRITY naming the secret when it does not open. */
  decrypt(name: string): SecretValue;
  /** Decrypts every secret; throws INTEGRITY naming every secret that does not open. */
  decryptAll(): Map<string, SecretValue>;
}

export function storeFor(opts: StageOptions): StageStore {
  const env = opts.env ?? process.env;
  return new StageStore({ dir: opts.dir ?? env.STAGE_SECRETS_DIR ?? 'secrets', cwd: opts.cwd, fs: opts.fs });
}

export function contextOf(file: StageFile): StageContext {
  return { app: file.app, stage: file.stage, publicKey: file.publicKey };
}

function valueAad(file: StageFile, name: string, type: SecretType): Buffer {
  return associatedData(['value', file.app, file.stage, name, type]);
}

function checkApp(file: StageFile, opts: StageOptions, where: string): void {
  if (opts.app !== undefined && opts.app !== file.app) {
    throw new StageSecretsError(
      'APP_MISMATCH',
      `${where} belongs to app ${JSON.stringify(file.app)}, but this is app ${JSON.stringify(opts.app)}${opts.appSource ? ` (from ${opts.appSource})` : ''}. Pass --app ${file.app} or run from the app's folder.`,
    );
  }
}

/** Reads and validates the stage file without any key. */
export function readStage(opts: StageOptions): StageFile {
  const store = storeFor(opts);
  const file = store.read(opts.stage);
  checkApp(file, opts, store.displayPath(opts.stage));
  return file;
}

function sameNameOtherCase(names: Iterable<string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const existing of names) if (existing !== name && existing.toLowerCase() === lower) return existing;
  return undefined;
}

/** Problems with names already in a file (a hand edit or a hostile pull request can put them there). */
function fileNameProblems(file: StageFile): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const name of Object.keys(file.secrets)) {
    const reason = reservedReason(name);
    if (reason) problems.push(`${reason}; remove it with: stage-secrets rm --stage ${file.stage} ${name}`);
    const other = seen.get(name.toLowerCase());
    if (other) problems.push(`${other} and ${name} differ only in case; remove one with stage-secrets rm`);
    seen.set(name.toLowerCase(), name);
  }
  return problems;
}

export async function initStage(
  opts: StageOptions,
  identities: IdentitySpec[],
): Promise<{ file: StageFile; notices: string[]; path: string }> {
  assertStageName(opts.stage);
  if (!opts.app) throw new StageSecretsError('USAGE', 'init needs the app name');
  if (identities.length === 0) throw new StageSecretsError('USAGE', 'init needs at least one identity (--local or --kms KEY_ID)');
  const store = storeFor(opts);
  const env = opts.env ?? process.env;
  const notices: string[] = [];
  const file = await store.update(opts.stage, async (current) => {
    if (current) {
      throw new StageSecretsError(
        'ALREADY_EXISTS',
        `${store.displayPath(opts.stage)} already exists; use rotate for a new keypair or rewrap to change identities.`,
      );
    }
    const pair = generateStageKeyPair();
    const next: StageFile = {
      version: FORMAT_VERSION,
      app: opts.app!,
      stage: opts.stage,
      publicKey: pair.publicKey.toString('base64'),
      identities: [],
      secrets: {},
    };
    for (const spec of identities) {
      const provider = await providerFor(spec.type, env);
      const { record, notice } = await provider.create(spec, pair.privateKey, contextOf(next));
      next.identities.push(record);
      if (notice) notices.push(notice);
    }
    pair.privateKey.fill(0);
    return next;
  });
  return { file, notices, path: store.displayPath(opts.stage) };
}

/** Seals new or replaced secrets with the public key only. All or nothing: one bad entry, no write. */
export async function setSecrets(opts: StageOptions, secrets: NewSecret[]): Promise<{ added: string[]; replaced: string[] }> {
  const normalized = secrets.map((s) => {
    assertKeyName(s.name);
    return { ...s, value: normalizeValue(s.name, s.type, s.value) };
  });
  const batchNames = new Map<string, string>();
  for (const s of normalized) {
    const clash = batchNames.get(s.name.toLowerCase());
    if (clash !== undefined && clash !== s.name) {
      throw new StageSecretsError('INVALID_NAME', `${clash} and ${s.name} differ only in case; pick one name.`);
    }
    batchNames.set(s.name.toLowerCase(), s.name);
  }
  const store = storeFor(opts);
  const added: string[] = [];
  const replaced: string[] = [];
  await store.update(opts.stage, (current) => {
    if (!current) {
      throw new StageSecretsError('NOT_FOUND', `no stage file ${store.displayPath(opts.stage)}; create it with: stage-secrets init --stage ${opts.stage}`);
    }
    checkApp(current, opts, store.displayPath(opts.stage));
    const sealer = new Sealer(Buffer.from(current.publicKey, 'base64'));
    const updated = new Date().toISOString();
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const s of normalized) {
      const clash = sameNameOtherCase(Object.keys(current.secrets), s.name);
      if (clash) {
        throw new StageSecretsError(
          'INVALID_NAME',
          `stage ${opts.stage} already has ${clash}, which differs from ${s.name} only in case; use the same spelling or rm ${clash} first.`,
        );
      }
      (Object.hasOwn(current.secrets, s.name) ? replaced : added).push(s.name);
      const entry: SecretEntry = { type: s.type, updated, ...sealer.seal(valueAad(current, s.name, s.type), s.value) };
      next.secrets[s.name] = entry;
    }
    return next;
  });
  return { added, replaced };
}

export async function removeSecrets(opts: StageOptions, names: string[]): Promise<void> {
  const store = storeFor(opts);
  await store.update(opts.stage, (current) => {
    if (!current) {
      throw new StageSecretsError('NOT_FOUND', `no stage file ${store.displayPath(opts.stage)}; nothing to remove.`);
    }
    checkApp(current, opts, store.displayPath(opts.stage));
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const name of names) {
      if (!Object.hasOwn(next.secrets, name)) {
        const other = sameNameOtherCase(Object.keys(next.secrets), name);
        const hint = other ? `; it has ${other} (names are case-sensitive)` : `; see stage-secrets list --stage ${opts.stage}`;
        throw new StageSecretsError('NOT_FOUND', `stage ${opts.stage} has no secret named ${name}${hint}.`);
      }
      delete next.secrets[name];
    }
    return next;
  });
}

export function listSecrets(opts: StageOptions): SecretInfo[] {
  const file = readStage(opts);
  return Object.keys(file.secrets)
    .sort()
    .map((name) => ({ name, type: file.secrets[name]!.type, updated: file.secrets[name]!.updated }));
}

// Unwrapped stage keys, per process: a stage is unwrapped (one KMS Decrypt) once, however many callers.
const unwrapped = new Map<string, Buffer>();

function unwrapCacheKey(record: IdentityRecord, ctx: StageContext): string {
  return createHash('sha256').update(JSON.stringify([record, ctx])).digest('hex');
}

/** Clears the per-process key cache (tests, and rotate after it replaced the key). */
export function forgetUnwrappedKeys(): void {
  for (const key of unwrapped.values()) key.fill(0);
  unwrapped.clear();
}

const SEVERITY: ErrorCode[] = ['INTEGRITY', 'FORMAT', 'ACCESS_DENIED', 'KEY_UNAVAILABLE', 'KEY_MISSING'];

/** Tries each identity in order; the first that yields the stage private key wins. */
async function unwrapStageKey(file: StageFile, env: NodeJS.ProcessEnv): Promise<{ privateKey: Buffer; identity: IdentityRecord; description: string }> {
  const ctx = contextOf(file);
  const failures: StageSecretsError[] = [];
  for (const record of file.identities) {
    const provider = await providerFor(record.type, env);
    const cacheKey = unwrapCacheKey(record, ctx);
    let privateKey = unwrapped.get(cacheKey);
    if (!privateKey) {
      try {
        privateKey = await provider.unwrap(record, ctx);
      } catch (err) {
        if (!(err instanceof StageSecretsError)) throw err;
        failures.push(err);
        continue;
      }
      if (!publicKeyOf(privateKey).equals(Buffer.from(file.publicKey, 'base64'))) {
        failures.push(new StageSecretsError('INTEGRITY', `identity ${record.id} holds a key that does not match the stage public key (the publicKey field was changed)`));
        continue;
      }
      unwrapped.set(cacheKey, privateKey);
    }
    return { privateKey, identity: record, description: provider.describe(record) };
  }
  const worst = SEVERITY.find((code) => failures.some((f) => f.code === code)) ?? 'KEY_MISSING';
  const detail = failures.map((f) => `- ${f.message}`).join('\n');
  throw new StageSecretsError(worst, `cannot open stage ${file.stage}: no identity could unwrap its key.\n${detail}`);
}

export async function openStage(opts: StageOptions): Promise<OpenedStage> {
  return openStageFile(readStage(opts), opts.env ?? process.env);
}

/** Opens a stage file the caller has already read and checked: unwraps its key once, decrypts on demand. */
export async function openStageFile(file: StageFile, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStage> {
  const problems = fileNameProblems(file);
  if (problems.length) {
    throw new StageSecretsError('FORMAT', `stage ${file.stage} holds names that cannot be used:\n- ${problems.join('\n- ')}`);
  }
  const { privateKey, identity, description } = await unwrapStageKey(file, env);
  const opener = new Opener(privateKey, Buffer.from(file.publicKey, 'base64'));
  const tryDecrypt = (name: string): SecretValue | undefined => {
    const entry = file.secrets[name];
    if (!entry) return undefined;
    const text = opener.open(valueAad(file, name, entry.type), entry);
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
    decrypt(name) {
      if (!Object.hasOwn(file.secrets, name)) {
        throw new StageSecretsError('NOT_FOUND', `stage ${file.stage} has no secret named ${name}.`);
      }
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
      if (failed.length) throw integrityError(failed);
      return out;
    },
  };
}

export interface VerifyReport {
  stage: string;
  app: string;
  identity: string;
  ok: string[];
  failed: string[];
  /** distinct ephemeral keys: each costs one X25519 agreement whenever the stage is opened */
  ephemeralKeys: number;
}

/** Opens every secret and reports which fail, instead of stopping at the first. */
export async function verifyStage(opts: StageOptions): Promise<VerifyReport> {
  const opened = await openStage(opts);
  const ok: string[] = [];
  const failed: string[] = [];
  for (const name of Object.keys(opened.file.secrets).sort()) {
    try {
      opened.decrypt(name);
      ok.push(name);
    } catch {
      failed.push(name);
    }
  }
  const ephemeralKeys = new Set(Object.values(opened.file.secrets).map((e) => e.epk)).size;
  return { stage: opened.file.stage, app: opened.file.app, identity: opened.identity.id, ok, failed, ephemeralKeys };
}

/** New stage keypair; every value re-sealed and every identity re-wrapped, or nothing written. */
export async function rotateStage(opts: StageOptions): Promise<{ secrets: number; identities: string[] }> {
  const env = opts.env ?? process.env;
  const store = storeFor(opts);
  let count = 0;
  const result = await store.update(opts.stage, async (current) => {
    if (!current) throw new StageSecretsError('NOT_FOUND', `no stage file ${store.displayPath(opts.stage)}.`);
    checkApp(current, opts, store.displayPath(opts.stage));
    const opened = await openStageFile(current, env);
    const values = opened.decryptAll();
    const pair = generateStageKeyPair();
    const next: StageFile = { ...current, publicKey: pair.publicKey.toString('base64'), identities: [], secrets: {} };
    for (const record of current.identities) {
      const provider = await providerFor(record.type, env);
      next.identities.push(await provider.rewrap(record, pair.privateKey, contextOf(next)));
    }
    const sealer = new Sealer(pair.publicKey);
    for (const [name, value] of values) {
      next.secrets[name] = { type: value.type, updated: current.secrets[name]!.updated, ...sealer.seal(valueAad(next, name, value.type), value.text) };
    }
    pair.privateKey.fill(0);
    count = values.size;
    return next;
  });
  forgetUnwrappedKeys();
  return { secrets: count, identities: result.identities.map((r) => r.id) };
}

/** Adds and/or removes identities; the stage keypair and every value stay as they are. */
export async function rewrapStage(
  opts: StageOptions,
  change: { add?: IdentitySpec; remove?: string },
): Promise<{ identities: string[]; added?: string; notices: string[] }> {
  const env = opts.env ?? process.env;
  const store = storeFor(opts);
  const notices: string[] = [];
  let added: string | undefined;
  const result = await store.update(opts.stage, async (current) => {
    if (!current) throw new StageSecretsError('NOT_FOUND', `no stage file ${store.displayPath(opts.stage)}.`);
    checkApp(current, opts, store.displayPath(opts.stage));
    let identities = [...current.identities];
    if (change.add) {
      const { privateKey } = await unwrapStageKey(current, env);
      const provider = await providerFor(change.add.type, env);
      const { record, notice } = await provider.create(change.add, privateKey, contextOf(current));
      if (identities.some((r) => r.id === record.id)) {
        throw new StageSecretsError('ALREADY_EXISTS', `stage ${opts.stage} already has identity ${record.id}.`);
      }
      identities.push(record);
      added = record.id;
      if (notice) notices.push(notice);
    }
    if (change.remove) {
      if (!identities.some((r) => r.id === change.remove)) {
        throw new StageSecretsError(
          'NOT_FOUND',
          `stage ${opts.stage} has no identity ${change.remove}; it has: ${identities.map((r) => r.id).join(', ')}.`,
        );
      }
      identities = identities.filter((r) => r.id !== change.remove);
      if (identities.length === 0) {
        throw new StageSecretsError('USAGE', `cannot remove ${change.remove}: it is the last identity, and nobody could open the stage.`);
      }
    }
    return { ...current, identities };
  });
  return { identities: result.identities.map((r) => r.id), added, notices };
}
