import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { StageStore } from '../store/stage-store.js';
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
  return file;
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
