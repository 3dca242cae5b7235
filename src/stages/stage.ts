import * as path from 'node:path';
import { publicKeyFingerprint } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { shownName } from '../core/names.js';
import type { StageStore } from '../store/stage-store.js';
import { describeFallback, findStage, type FoundStage, type LocatedStage } from './locate.js';
import { entriesSealedToOtherKey, openStageFile, type OpenedStage, type OpenStageOptions } from './open-file.js';
import type { StageOptions } from './options.js';
import { isTrackedByGit } from '../git/git.js';
import { stageStoreAt } from './stage-text.js';
import { realPathOf } from '../core/real-path.js';

/**
 * One stage as every entry point uses it: found once (locate.ts), its file read once, opened at most
 * once. The words: a stage's *location* is where its file is; its *file* is what the file holds (header
 * and entries); how it *opened* is the identity that unwrapped its key (OpenedStage). Where loaded values
 * came from (this file, or the env of stage-secrets run) is their *source* (load.ts), and nothing else is.
 */
export class Stage {
  readonly name: string;
  readonly options: StageOptions;
  readonly #found: FoundStage;
  #store?: StageStore;
  #file?: StageFile;
  readonly #opened = new Map<boolean, Promise<OpenedStage>>();

  private constructor(options: StageOptions, found: FoundStage) {
    this.name = options.stage;
    this.options = options;
    this.#found = found;
  }

  /**
   * The stage these options name, located now (the only locate step). `read` lets a preview stage use a
   * fallback's file; `write` (the default) wants the stage's own; `create` (init) where a new one goes.
   * A missing file throws only when used.
   */
  static find(options: StageOptions, purpose: 'read' | 'write' | 'create' = 'write'): Stage {
    return new Stage(options, findStage(options, purpose));
  }

  /** The stage's own file in a secrets folder already found (`options.dir`, absolute): no search. */
  static inFolder(options: StageOptions & { dir: string }): Stage {
    const dir = path.resolve(options.dir);
    const file = path.join(dir, `${options.stage}.json`);
    const located: LocatedStage = { stage: options.stage, fileStage: options.stage, dir, file, how: 'explicit' };
    return new Stage(options, { secretsDir: dir, located });
  }

  /** The secrets folder in use, whether or not it holds this stage's file. */
  get secretsDir(): string | undefined {
    return this.#found.secretsDir;
  }

  /** Whether a stage file (its own, or a fallback's) was found. */
  get exists(): boolean {
    return this.#found.located !== undefined;
  }

  /** Why no stage file was found (NOT_FOUND, saying where it looked); undefined when one was. */
  get missing(): StageSecretsError | undefined {
    return this.#found.missing;
  }

  /** Where the file is; throws `missing` when there is none. */
  get location(): LocatedStage {
    if (this.#found.missing) throw this.#found.missing;
    return this.#found.located;
  }

  /** The store holding the file (built once). */
  get store(): StageStore {
    this.#store ??= stageStoreAt({ dir: this.location.dir, cwd: this.options.cwd, fs: this.options.fs });
    return this.#store;
  }

  /** The file as messages show it, relative to the caller's folder. */
  get displayPath(): string {
    return this.store.displayPath(this.location.fileStage);
  }

  /** Absolute real path of the file (run hands it on as STAGE_SECRETS_FILE; run's env is checked against it). */
  get realPath(): string {
    return realPathOf(this.location.file);
  }

  /** "stage pr-7 has no stage file; using stage dev's ..." when a fallback applied, for the log. */
  get fallbackNote(): string | undefined {
    return this.#found.located && describeFallback(this.#found.located, this.options.cwd ?? process.cwd());
  }

  /** The file, read and checked without any key (once): its app, and no half-finished rotate. */
  read(): StageFile {
    if (this.#file) return this.#file;
    const file = this.store.read(this.location.fileStage);
    checkApp(file, this.options, this.displayPath);
    refuseUnfinishedRotation(this.store, file, this.options.env ?? process.env);
    this.#file = file;
    return file;
  }

  /** The file when there is one, else undefined (an opted-out plugin still recognises its entries). */
  readIfPresent(): StageFile | undefined {
    if (!this.exists) return undefined;
    try {
      return this.read();
    } catch {
      return undefined;
    }
  }

  /** Unwraps the key and checks names, policy and approvals (once per set of options). */
  open(options: OpenStageOptions = {}): Promise<OpenedStage> {
    const key = options.reportOtherKey === true;
    let opened = this.#opened.get(key);
    if (!opened) {
      opened = Promise.resolve().then(() => openStageFile(this.read(), this.options.env ?? process.env, options));
      this.#opened.set(key, opened);
      opened.catch(() => this.#opened.delete(key));
    }
    return opened;
  }
}

/** Refuses a stage file of another app than the caller expects. */
export function checkApp(file: StageFile, opts: StageOptions, where: string): void {
  const expected = typeof opts.app === 'string' ? { name: opts.app } : opts.app;
  if (expected === undefined || expected.name === file.app) return;
  const from = 'from' in expected ? ` (from ${expected.from})` : '';
  const fix = ('fix' in expected && expected.fix?.(file.app)) || `Pass --app ${file.app} or run from the app's folder.`;
  throw new StageSecretsError(
    'APP_MISMATCH',
    `${where} belongs to app ${JSON.stringify(file.app)}, but this is app ${shownName(expected.name)}${from}. ${fix}`,
  );
}

/**
 * Entries sealed to the key of a rotate that stopped half-way: the fix is to finish it, not to set them,
 * when a key holder's rotate left the file. Nothing here trusts it (no key): rotate checks its seal.
 */
function refuseUnfinishedRotation(store: StageStore, file: StageFile, env: NodeJS.ProcessEnv): void {
  const stale = entriesSealedToOtherKey(file);
  if (stale.length === 0) return;
  const rotation = store.readInterruptedRotation(file.stage);
  if (!rotation) return;
  const fingerprint = publicKeyFingerprint(rotation.header.publicKey);
  const resealed = stale.filter((name) => file.secrets[name]!.sealedTo === fingerprint);
  if (resealed.length === 0) return;
  const rotationFile = store.rotationPath(file.stage);
  const shown = store.shown(rotationFile);
  const rotate = `npx --no-install stage-secrets rotate --stage ${file.stage}`;
  const names = resealed.join(', ');
  const notOurs =
    `If no key holder's rotate of this stage stopped on this machine, the file and those entries came with a ` +
    `commit: remove the file (git rm --cached ${shown} if committed, then rm ${shown}) and set again, or rm, ${names}.`;
  const tracked = isTrackedByGit(rotationFile, env);
  throw new StageSecretsError(
    'INTEGRITY',
    `a rotate of stage ${file.stage} did not finish: ${resealed.length} of ${Object.keys(file.secrets).length} ` +
      `secrets (${names}) are sealed to the key kept in ${shown}. Nothing of this stage was used. ` +
      (tracked
        ? `${shown} is tracked by git, which a rotate never does: it came with a commit, and rotate refuses it. ${notOurs}`
        : `If a key holder's rotate stopped half-way, that key holder finishes it: ${rotate} (it checks the file is ` +
          `sealed under the current stage key, and refuses it otherwise). ${notOurs}`),
  );
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
