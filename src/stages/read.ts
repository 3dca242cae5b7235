import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { displayPath, StageStore } from '../store/stage-store.js';
import { publicKeyFingerprint } from '../core/crypto.js';
import { entriesSealedToOtherKey } from './open-file.js';
import { locateStage, type LocatedStage } from './locate.js';
import type { StageOptions } from './options.js';
// the kinds' typed identity records, which the stage file parser checks
import '../identities/records.js';

/** The store holding a located stage file. */
export function storeAt(located: LocatedStage, opts: StageOptions): StageStore {
  return new StageStore({ dir: located.dir, cwd: opts.cwd, fs: opts.fs });
}

/** Where the existing stage file of these options lives (stages/locate.ts); NOT_FOUND, saying where it looked, when it does not exist. */
export function storeFor(opts: StageOptions): StageStore {
  return storeAt(locateStage(opts, 'write'), opts);
}

/** Refuses a stage file of another app than the caller expects. */
export function checkApp(file: StageFile, opts: StageOptions, where: string): void {
  const expected = typeof opts.app === 'string' ? { name: opts.app } : opts.app;
  if (expected === undefined || expected.name === file.app) return;
  const source = 'source' in expected ? ` (from ${expected.source})` : '';
  const fix = ('fix' in expected && expected.fix?.(file.app)) || `Pass --app ${file.app} or run from the app's folder.`;
  throw new StageSecretsError(
    'APP_MISMATCH',
    `${where} belongs to app ${JSON.stringify(file.app)}, but this is app ${JSON.stringify(expected.name)}${source}. ${fix}`,
  );
}

/** Reads and validates a located stage file (the fallback's, when one applied) without any key. */
export function readLocated(located: LocatedStage, opts: StageOptions): StageFile {
  const store = storeAt(located, opts);
  const file = store.read(located.fileStage);
  checkApp(file, opts, store.displayPath(located.fileStage));
  refuseUnfinishedRotation(store, file);
  return file;
}

/** Entries sealed to the key of a rotate that stopped half-way: the fix is to finish it, not to set them. */
function refuseUnfinishedRotation(store: StageStore, file: StageFile): void {
  const stale = entriesSealedToOtherKey(file);
  if (stale.length === 0) return;
  const rotation = store.readInterruptedRotation(file.stage);
  if (!rotation) return;
  const fingerprint = publicKeyFingerprint(rotation.publicKey);
  const resealed = stale.filter((name) => file.secrets[name]!.sealedTo === fingerprint);
  if (resealed.length === 0) return;
  throw new StageSecretsError(
    'INTEGRITY',
    `a rotate of stage ${file.stage} did not finish (it was stopped after re-sealing ${resealed.length} of ` +
      `${Object.keys(file.secrets).length} secrets to the new key, before writing the new header; the new key is ` +
      `kept in ${displayPath(process.cwd(), store.rotationPath(file.stage))}). Nothing of this stage was used. Finish it: ` +
      `npx --no-install stage-secrets rotate --stage ${file.stage}`,
  );
}

/** Reads and validates the stage file without any key. */
export function readStage(opts: StageOptions): StageFile {
  return readLocated(locateStage(opts, 'write'), opts);
}

/** The stage file a change starts from (read under the lock), or an error that says how to create it. */
export function requireCurrent(current: StageFile | undefined, opts: StageOptions, store: StageStore): StageFile {
  if (!current) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `no stage file ${store.displayPath(opts.stage)}; create it with: npx --no-install stage-secrets init --stage ${opts.stage}`,
    );
  }
  checkApp(current, opts, store.displayPath(opts.stage));
  return current;
}
