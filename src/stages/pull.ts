import { Opener, publicKeyFingerprint } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import type { ObjectStore, RuntimeStoreLocation } from '../runtime-store/backend.js';
import { keyAtHand, type UnwrappedKey } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';
import {
  readRuntimeStoreEntries,
  runtimeStoreFor,
  withNewerEntries,
  type RuntimeStoreContents,
} from './runtime-store.js';
import { valueAad } from './sealing.js';

export interface PullResult {
  /** s3://BUCKET/PREFIX */
  store: string;
  /** names whose store entry replaced the file's, sorted */
  updated: string[];
  /** names the store holds but the stage file does not (never added: a new name needs approval) */
  ignored: string[];
  /** whether the pulled values were opened with a key at hand (else only their form was checked) */
  opened: boolean;
}

export interface PullOptions {
  /** the clock that bounds store dates (ms); default Date.now, read at each check */
  now?: () => number;
}

/** Names whose store entry is newer than the stage file's; needs no key. */
export async function namesNewerInStore(
  opts: StageOptions,
  location: RuntimeStoreLocation,
  objects?: ObjectStore,
  options: PullOptions = {},
): Promise<Set<string>> {
  const file = Stage.find(opts).read();
  const store = runtimeStoreFor(location, file, opts.env ?? process.env, objects);
  const contents = await readRuntimeStoreEntries(store, file, options);
  // the same rule as every reader: a store object never stands for a reference
  return new Set(withNewerEntries(file, contents).fromStore);
}

/**
 * When a key is at hand, opens each value about to be pulled: one sealed for another name, stage or
 * app is refused. Without a key only the form can be checked (schema, name, type, sizes); the build
 * and verify open every value later.
 */
function checkOpens(
  file: StageFile,
  contents: RuntimeStoreContents,
  names: string[],
  key: UnwrappedKey | undefined,
): boolean {
  if (!key) return false;
  const opener = new Opener(key.privateKey, Buffer.from(file.publicKey, 'base64'));
  const bad = names.filter((name) => {
    const { entry } = contents.entries.get(name)!;
    return opener.open(valueAad(file, name, entry.type, entry), entry) === undefined;
  });
  if (bad.length) {
    const where = bad.map((name) => contents.entries.get(name)!.where).join(', ');
    throw new StageSecretsError(
      'INTEGRITY',
      `the runtime store's value of ${bad.join(', ')} does not open (${where}): it was sealed for another name, stage or app, or changed. Nothing was pulled; delete the object, then update the secret again.`,
    );
  }
  return true;
}

/**
 * The key each pulled value was sealed to must be the stage's, or the entry file would claim a key it was
 * not sealed to and hide a rotate-vs-update. An object naming another key (stored before a rotate) is
 * refused; one naming none (written before store objects carried `sealedTo`) is taken only when the key
 * at hand opened it.
 */
function checkSealedTo(
  file: StageFile,
  contents: RuntimeStoreContents,
  names: string[],
  step: 'before opening' | 'unopened',
): void {
  const own = publicKeyFingerprint(file.publicKey);
  const sealedTo = (name: string) => contents.entries.get(name)!.entry.sealedTo;
  const where = (list: string[]) => list.map((name) => contents.entries.get(name)!.where).join(', ');
  const other = names.filter((name) => sealedTo(name) !== undefined && sealedTo(name) !== own);
  if (other.length) {
    throw new StageSecretsError(
      'INTEGRITY',
      `the runtime store's value of ${other.join(', ')} is sealed to another key than stage ${file.stage}'s ` +
        `(${where(other)}): it was stored before the stage was rotated. Nothing was pulled; delete the object, ` +
        'then update the secret again.',
    );
  }
  const unnamed = names.filter((name) => sealedTo(name) === undefined);
  if (unnamed.length && step === 'unopened') {
    throw new StageSecretsError(
      'KEY_MISSING',
      `the runtime store's value of ${unnamed.join(', ')} does not say which key it was sealed to ` +
        `(${where(unnamed)}, written by an older stage-secrets), and no key is here to open it. Nothing was ` +
        'pulled; run pull where the stage key is at hand, or update the secret again.',
    );
  }
}

/**
 * Copies the store's entries that are newer than the stage file's into it, under the stage lock: the
 * sealed value and its time as stored, the file's approval kept. Needs no key (the entries are sealed to
 * the stage's public key). Untouched entries keep their bytes; nothing is written when nothing is newer.
 */
export async function pullStage(
  opts: StageOptions,
  location: RuntimeStoreLocation,
  objects?: ObjectStore,
  options: PullOptions = {},
): Promise<PullResult> {
  const env = opts.env ?? process.env;
  const stage = Stage.find(opts);
  const before = stage.read();
  // before the store is read: a key here that does not match the file refuses the pull
  const key = await keyAtHand(before, env, stage.displayPath);
  const contents = await readRuntimeStoreEntries(runtimeStoreFor(location, before, env, objects), before, options);
  const result: PullResult = { store: location.url, updated: [], ignored: contents.unknown, opened: false };
  const candidates = withNewerEntries(before, contents).fromStore;
  if (candidates.length === 0) return result;
  checkSealedTo(before, contents, candidates, 'before opening');
  result.opened = checkOpens(before, contents, candidates, key);
  if (!result.opened) checkSealedTo(before, contents, candidates, 'unopened');
  const stageStore = stage.store;
  await stageStore.update(opts.stage, (found) => {
    const current = requireCurrent(found, opts, stageStore);
    if (current.publicKey !== before.publicKey || current.app !== before.app) {
      throw new StageSecretsError(
        'LOCKED',
        `stage ${opts.stage} was rotated or changed while pulling; nothing was pulled. Run pull again.`,
      );
    }
    const merged = withNewerEntries(current, contents);
    result.updated = merged.fromStore;
    return merged.file;
  });
  return result;
}
