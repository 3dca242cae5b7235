import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { StageStore } from '../store/stage-store.js';
import type { StageOptions } from './options.js';

/** Where the stage file of these options lives. */
export function storeFor(opts: StageOptions): StageStore {
  const env = opts.env ?? process.env;
  return new StageStore({ dir: opts.dir ?? env.STAGE_SECRETS_DIR ?? 'secrets', cwd: opts.cwd, fs: opts.fs });
}

/** Refuses a stage file of another app than the caller expects. */
function checkApp(file: StageFile, opts: StageOptions, where: string): void {
  const expected = typeof opts.app === 'string' ? { name: opts.app } : opts.app;
  if (expected === undefined || expected.name === file.app) return;
  const source = 'source' in expected ? ` (from ${expected.source})` : '';
  const fix = ('fix' in expected && expected.fix?.(file.app)) || `Pass --app ${file.app} or run from the app's folder.`;
  throw new StageSecretsError(
    'APP_MISMATCH',
    `${where} belongs to app ${JSON.stringify(file.app)}, but this is app ${JSON.stringify(expected.name)}${source}. ${fix}`,
  );
}

/** Reads and validates the stage file without any key. */
export function readStage(opts: StageOptions): StageFile {
  const store = storeFor(opts);
  const file = store.read(opts.stage);
  checkApp(file, opts, store.displayPath(opts.stage));
  return file;
}

/** The stage file a change starts from (read under the lock), or an error that says how to create it. */
export function requireCurrent(current: StageFile | undefined, opts: StageOptions, store: StageStore): StageFile {
  if (!current) {
    throw new StageSecretsError('NOT_FOUND', `no stage file ${store.displayPath(opts.stage)}; create it with: stage-secrets init --stage ${opts.stage}`);
  }
  checkApp(current, opts, store.displayPath(opts.stage));
  return current;
}
