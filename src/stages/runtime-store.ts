import { publicKeyFingerprint, Sealer } from '../core/crypto.js';
import { entryFileSchema } from '../core/entry-file.js';
import { StageSecretsError } from '../core/errors.js';
import { secretEntrySchema, type SecretEntry, type StageFile } from '../core/format.js';
import { KEY_NAME_PATTERN } from '../core/names.js';
import { normalizeValue, type SecretType } from '../core/values.js';
import {
  entryObjectKey,
  nameOfObjectKey,
  stageFolder,
  type ObjectStore,
  type RuntimeStoreLocation,
} from '../runtime-store/backend.js';
import { STORE_BACKENDS, runtimeStoreBackendOf } from '../runtime-store/backends.js';
import { valueAad } from './sealing.js';

export { stageFolder, type RuntimeStoreAccess, type RuntimeStoreLocation } from '../runtime-store/backend.js';
export {
  parseRuntimeStoreUrl,
  runtimeStoreBackendOf,
  runtimeStoreLocationFrom,
  RUNTIME_STORE_ENV,
} from '../runtime-store/backends.js';

/*
 * The runtime store's use cases on a stage file already read (or packaged): read the store's entries,
 * take the newer of store and file, seal and write an update. No file system here, so the Lambda runtime
 * can bundle it; the caller brings the stage file and, for updates, which names are pending.
 */

/** One stage's folder in the store. */
export interface RuntimeStore {
  location: RuntimeStoreLocation;
  app: string;
  stage: string;
  /** `PREFIX/<app>/<stage>/` */
  folder: string;
  objects: ObjectStore;
}

export function runtimeStoreFor(
  location: RuntimeStoreLocation,
  file: Pick<StageFile, 'app' | 'stage'>,
  env: NodeJS.ProcessEnv,
  objects: ObjectStore = runtimeStoreBackendOf(location).objects(location, env),
): RuntimeStore {
  return { location, app: file.app, stage: file.stage, folder: stageFolder(location, file.app, file.stage), objects };
}

export interface StoredEntry {
  name: string;
  /** as stored: never carries an approval (that comes from the stage file) */
  entry: SecretEntry;
  etag: string;
  /** s3://BUCKET/KEY, for messages */
  where: string;
}

/** What the store holds for a stage. */
export interface RuntimeStoreContents {
  /** entries of names the stage file has */
  entries: Map<string, StoredEntry>;
  /** objects for names the stage file does not have (ignored: a new name needs a key holder's approval) */
  unknown: string[];
}

/** Entries already parsed, by object key and ETag: a re-read fetches only objects that changed. */
export type EntryCache = Map<string, { etag: string; entry: SecretEntry }>;

const ENTRY_FIELDS = ['type', 'updated', 'sealedTo', 'epk', 'nonce', 'ct', 'tag'] as const;

/**
 * A store object: a sealed entry without approval. `sealedTo` (the fingerprint of the key it was sealed
 * to) is written since format v3; objects from before lack it.
 */
const storeEntrySchema = secretEntrySchema.extend({ sealedTo: entryFileSchema.shape.sealedTo.optional() });

/** The object text of an entry: fixed field order, no approval tag. */
export function storeEntryText(entry: SecretEntry): string {
  const out: Record<string, string> = {};
  for (const field of ENTRY_FIELDS) if (entry[field] !== undefined) out[field] = entry[field];
  return `${JSON.stringify(out)}\n`;
}

/**
 * Parses a store object with the stage file's entry schema. A malformed or foreign object fails closed:
 * the error names the secret and the object, never its content.
 */
export function parseStoreEntry(text: string, name: string, where: string): SecretEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = raw === undefined ? undefined : storeEntrySchema.safeParse(raw);
  if (!parsed?.success || parsed.data.approved !== undefined) {
    const why = !parsed
      ? 'is not JSON'
      : !parsed.success
        ? `is not a sealed entry (at ${parsed.error.issues[0]!.path.join('.') || 'top level'})`
        : 'carries an approval tag, which only a stage file may hold';
    throw new StageSecretsError(
      'FORMAT',
      `the runtime store's object for ${name} (${where}) ${why}: it was not written by stage-secrets, or was changed. Nothing of it was used; delete the object, then update ${name} again.`,
    );
  }
  return parsed.data;
}

/** How far a store entry may be dated ahead of the reader's clock: S3's own limit for a request's clock skew (SigV4). */
export const MAX_STORE_AHEAD_MS = 15 * 60 * 1000;

/**
 * `updated` is not authenticated, and the newer entry wins: an object dated far ahead would win over
 * every later `set` and date every later update after it. Refused (fail closed, like a malformed object)
 * when it is no valid time, or more than MAX_STORE_AHEAD_MS after `now`, the clock of the machine that
 * checks. Never counted from the stage file's date: `pull` copies store dates into the file, so a bound
 * that grew with the file would let repeated pulls push it forward without limit. A machine whose clock
 * is off by more than that cannot sign S3 requests anyway.
 */
export function checkStoreTime(entry: Pick<SecretEntry, 'updated'>, now: number, name: string, where: string): void {
  const time = timeOf(entry);
  const why = !Number.isFinite(time)
    ? `is dated ${entry.updated}, which is not a valid time`
    : time > now + MAX_STORE_AHEAD_MS
      ? `is dated more than 15 minutes ahead of this machine's clock (${entry.updated}), ` +
        'so it would win over every later set'
      : undefined;
  if (why) {
    throw new StageSecretsError(
      'FORMAT',
      `the runtime store's object for ${name} (${where}) ${why}. Nothing of it was used; delete the object (and check the clock of whatever wrote it), then update ${name} again.`,
    );
  }
}

/** Reads the store's entries for the names the file has, `limit` GETs at a time. */
export async function readRuntimeStoreEntries(
  store: RuntimeStore,
  file: Pick<StageFile, 'secrets'>,
  options: { cache?: EntryCache; limit?: number; now?: () => number } = {},
): Promise<RuntimeStoreContents> {
  const clock = options.now ?? Date.now;
  const listed = await store.objects.list(store.folder);
  const entries = new Map<string, StoredEntry>();
  const unknown: string[] = [];
  const wanted: Array<{ name: string; key: string; etag: string }> = [];
  for (const object of listed) {
    const name = nameOfObjectKey(store.folder, object.key, (n) => KEY_NAME_PATTERN.test(n));
    if (name === undefined) continue; // not an entry's key: nothing of ours
    if (!Object.hasOwn(file.secrets, name)) unknown.push(name);
    else wanted.push({ name, key: object.key, etag: object.etag });
  }
  const cache = options.cache;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wanted.length) {
      const item = wanted[next++]!;
      const where = runtimeStoreBackendOf(store.location).objectUrl(store.location, item.key);
      const hit = cache?.get(item.key);
      if (hit && item.etag && hit.etag === item.etag) {
        entries.set(item.name, { name: item.name, entry: hit.entry, etag: hit.etag, where });
        continue;
      }
      const object = await store.objects.get(item.key);
      if (!object) continue; // deleted since the listing
      const entry = parseStoreEntry(object.text, item.name, where);
      checkStoreTime(entry, clock(), item.name, where);
      cache?.set(item.key, { etag: object.etag, entry });
      entries.set(item.name, { name: item.name, entry, etag: object.etag, where });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.limit ?? 8, wanted.length) }, worker));
  return { entries, unknown: unknown.sort() };
}

function timeOf(entry: Pick<SecretEntry, 'updated'>): number {
  return Date.parse(entry.updated);
}

/**
 * Whether the store's entry replaces the file's: its `updated` is strictly later. On a tie the stage
 * file wins (after a pull both hold the same entry, so a tie is normally the same value).
 */
export function storeIsNewer(
  stored: Pick<SecretEntry, 'updated'>,
  inFile: Pick<SecretEntry, 'updated'> | undefined,
): boolean {
  return inFile === undefined || timeOf(stored) > timeOf(inFile);
}

/**
 * The stage file with each entry the store holds a newer version of replaced by it, sealed value and
 * time as stored, approval tag as in the file (a value replacement keeps its name's approval). Names
 * the file does not have are never added.
 */
export function withNewerEntries(
  file: StageFile,
  contents: Pick<RuntimeStoreContents, 'entries'>,
): { file: StageFile; fromStore: string[] } {
  const fromStore: string[] = [];
  const secrets = { ...file.secrets };
  for (const name of [...contents.entries.keys()].sort()) {
    if (!Object.hasOwn(secrets, name)) continue;
    const current = secrets[name]!;
    const stored = contents.entries.get(name)!.entry;
    // a reference's value lives at its approved target: a store object never replaces it (nor adds one)
    if (current.ref === true || stored.ref === true) continue;
    if (!storeIsNewer(stored, current)) continue;
    const { approved: _ignored, ...value } = stored;
    secrets[name] = { ...value, ...(current.approved ? { approved: current.approved } : {}) };
    fromStore.push(name);
  }
  return { file: fromStore.length ? { ...file, secrets } : file, fromStore };
}

/**
 * A reference (issue 35) holds where its value lives, not the value: a runtime update would replace the
 * reference by a value (pending again for every reader) or seal a value for a name whose target a key
 * holder approved, so it is refused before anything is written.
 */
export function referenceNotUpdatableError(stage: string, name: string): StageSecretsError {
  return new StageSecretsError(
    'READ_ONLY',
    `${name} in stage ${stage} is a reference: its value lives in SSM Parameter Store or Secrets Manager, so the runtime store cannot update it and nothing was written. Change the value at its target (the next cold start reads it), or a key holder turns the name into a value with: npx --no-install stage-secrets set --stage ${stage} ${name}`,
  );
}

/** Names and types that may be updated at run time: those the stage file has and a key holder approved, not references. */
export function assertUpdatable(
  file: Pick<StageFile, 'stage' | 'secrets'>,
  pending: readonly string[],
  name: string,
): void {
  if (!KEY_NAME_PATTERN.test(name) || !Object.hasOwn(file.secrets, name)) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `stage ${file.stage} has no secret named ${KEY_NAME_PATTERN.test(name) ? name : '(an invalid name)'}; the runtime store updates only names the stage file has. Add it with: npx --no-install stage-secrets set --stage ${file.stage} ${KEY_NAME_PATTERN.test(name) ? name : 'NAME'}`,
    );
  }
  if (file.secrets[name]!.ref === true) throw referenceNotUpdatableError(file.stage, name);
  if (pending.includes(name)) {
    throw new StageSecretsError(
      'UNAPPROVED',
      `${name} in stage ${file.stage} is pending approval, so it cannot be updated at run time; a key holder runs: npx --no-install stage-secrets approve --stage ${file.stage} ${name}`,
    );
  }
}

export interface UpdateOptions {
  /** clock in ms; default Date.now */
  now?: () => number;
  /** conditional-write attempts before giving up; default STAGE_SECRETS_STORE_MAX_ATTEMPTS, else 10 */
  maxAttempts?: number;
  /** waits between attempts (tests make it instant); default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** in [0, 1); default Math.random */
  random?: () => number;
}

export interface UpdateResult {
  entry: SecretEntry;
  /** conditional writes tried, the one that landed included */
  attempts: number;
}

export const STORE_ATTEMPTS_ENV = 'STAGE_SECRETS_STORE_MAX_ATTEMPTS';
const DEFAULT_ATTEMPTS = 10;
const BACKOFF_BASE_MS = 25;
const BACKOFF_CAP_MS = 1_000;

export function maxAttemptsFrom(env: NodeJS.ProcessEnv): number {
  const text = env[STORE_ATTEMPTS_ENV];
  if (text === undefined || text === '') return DEFAULT_ATTEMPTS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 50)
    throw new StageSecretsError('USAGE', `${STORE_ATTEMPTS_ENV} must be a whole number from 1 to 50.`);
  return n;
}

/**
 * Seals `value` exactly as a stage-file entry (the stage public key, the same associated data) and
 * writes it with a conditional write: `If-None-Match: *` when the store has no object for the name,
 * else `If-Match` on the ETag just read. When another writer got there first, it reads again and
 * retries after a jittered back-off, so each call either lands whole or rejects saying why.
 * The caller has checked that the name may be updated (assertUpdatable, which needs the stage key).
 */
export async function updateStoredSecret(
  store: RuntimeStore,
  file: StageFile,
  secret: { name: string; type: SecretType; value: string },
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  const { name, type } = secret;
  if (!Object.hasOwn(file.secrets, name))
    throw new StageSecretsError('NOT_FOUND', `stage ${file.stage} has no secret named ${name}.`);
  if (file.secrets[name]!.ref === true) throw referenceNotUpdatableError(file.stage, name);
  const text = normalizeValue(name, type, secret.value);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  // `updated` is not in the associated data: one sealing serves every attempt.
  const sealed = new Sealer(Buffer.from(file.publicKey, 'base64')).seal(valueAad(file, name, type), text);
  const key = entryObjectKey(store.location, file.app, file.stage, name);
  const where = runtimeStoreBackendOf(store.location).objectUrl(store.location, key);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await store.objects.get(key);
    // Never dated before what it replaces, so an instance whose clock is behind still writes the newest.
    const fileTime = timeOf(file.secrets[name]!);
    let floor = Number.isFinite(fileTime) ? fileTime + 1 : 0;
    if (current) {
      const stored = parseStoreEntry(current.text, name, where);
      checkStoreTime(stored, now(), name, where);
      floor = Math.max(floor, timeOf(stored) + 1);
    }
    if (floor > now() + MAX_STORE_AHEAD_MS) {
      throw new StageSecretsError(
        'FORMAT',
        `the stage file's entry for ${name} is dated more than 15 minutes ahead of this machine's clock ` +
          `(${file.secrets[name]!.updated}): an update dated after it would be refused by every reader, so ` +
          `nothing was written. Set ${name} again in the stage file ` +
          `(npx --no-install stage-secrets set --stage ${file.stage} ${name}) and deploy, ` +
          "or check this machine's clock.",
      );
    }
    const updated = new Date(Math.max(now(), floor)).toISOString();
    const entry: SecretEntry = { type, updated, sealedTo: publicKeyFingerprint(file.publicKey), ...sealed };
    const result = await store.objects.put(
      key,
      storeEntryText(entry),
      current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
    );
    if (result !== 'conflict') return { entry, attempts: attempt };
    if (attempt < maxAttempts)
      await sleep(Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)));
  }
  throw new StageSecretsError(
    'LOCKED',
    `${name} is being updated concurrently by other instances: this update did not land after ${maxAttempts} conditional writes to ${where}, and nothing of it was written. Retry the update (or raise ${STORE_ATTEMPTS_ENV}).`,
  );
}

/** Inside Lambda: every backend loads its SDK from the function's package with `load` (a require()). */
export function useLambdaStoreSdks(load: (pkg: string) => unknown): void {
  for (const backend of STORE_BACKENDS) backend.coldStart?.(load);
}
