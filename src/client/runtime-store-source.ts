import { StageSecretsError } from '../core/errors.js';
import type { SecretType, SecretValue } from '../core/values.js';
import { resolveStageReferences, unapprovedError } from '../stages/load.js';
import { openStageFile } from '../stages/open-file.js';
import type { StageFile } from '../core/format.js';
import { notReceivedError, useLambdaS3Sdk, type PackagedStage } from './runtime-source.js';
import {
  assertUpdatable,
  maxAttemptsFrom,
  readRuntimeStoreEntries,
  runtimeStoreFor,
  updateStoredSecret,
  runtimeStoreLocationFrom,
  withNewerEntries,
  type EntryCache,
  type RuntimeStoreLocation,
} from '../stages/runtime-store.js';

/**
 * The SecretClient's runtime store: reads take the newer of store and stage file, updates go to the
 * store with conditional writes. Needs the stage key for both (to open store values, and to check that
 * a name is approved before it is updated). Takes the stage file as read by the caller (from the repo,
 * or the copy packaged with a function), and touches no file itself.
 */
export class RuntimeStoreSource {
  readonly location: RuntimeStoreLocation;
  readonly #env: NodeJS.ProcessEnv;
  /** entries already fetched, by object key and ETag: a fresh read GETs only what changed */
  readonly #entries: EntryCache = new Map();

  constructor(location: RuntimeStoreLocation, env: NodeJS.ProcessEnv) {
    this.location = location;
    this.#env = env;
  }

  /** Every secret of the stage, each the newer of store and stage file. */
  async values(file: StageFile): Promise<Map<string, SecretValue>> {
    const contents = await readRuntimeStoreEntries(runtimeStoreFor(this.location, file, this.#env), file, {
      cache: this.#entries,
    });
    const { file: merged, fromStore } = withNewerEntries(file, contents);
    const opened = await openStageFile(merged, this.#env);
    if (opened.pending.length > 0) throw unapprovedError(merged, opened.pending);
    for (const name of fromStore) {
      try {
        opened.decrypt(name);
      } catch (err) {
        if (!(err instanceof StageSecretsError) || err.code !== 'INTEGRITY') throw err;
        throw this.#unopenable(name, contents.entries.get(name)!.where);
      }
    }
    const values = opened.decryptAll();
    // as loadSecrets does: a reference's target is never handed out as its value
    return opened.references.size > 0 ? new Map(await resolveStageReferences(values, this.#env)) : values;
  }

  /**
   * Inside a runtime-mode function: the packaged values, each replaced by the store's when that is newer.
   * The store's entries are opened with the key the wrapper already unwrapped (no KMS call).
   */
  async packagedValues(stage: PackagedStage): Promise<Map<string, SecretValue>> {
    useLambdaS3Sdk();
    const contents = await readRuntimeStoreEntries(runtimeStoreFor(this.location, stage.file, this.#env), stage.file, {
      cache: this.#entries,
    });
    const { file: merged, fromStore } = withNewerEntries(stage.file, contents);
    const values = new Map(stage.packaged.values);
    for (const name of fromStore) {
      try {
        values.set(name, await stage.openEntry(name, merged.secrets[name]!));
      } catch (err) {
        if (!(err instanceof StageSecretsError) || err.code !== 'INTEGRITY') throw err;
        throw this.#unopenable(name, contents.entries.get(name)!.where);
      }
    }
    return values;
  }

  /**
   * Inside a runtime-mode function: writes a new value of a name packaged for it (every packaged name
   * was approved, or the cold start would have failed). A name it did not receive is refused. (A preview
   * deployment on a fallback stage's file never gets here: SecretClient.updateSecret refuses it first.)
   */
  async updatePackaged(
    stage: PackagedStage,
    secret: { name: string; type: SecretType; value: string },
    now: () => number,
  ): Promise<void> {
    if (!Object.hasOwn(stage.file.secrets, secret.name)) throw notReceivedError(stage.packaged, secret.name);
    useLambdaS3Sdk();
    await updateStoredSecret(runtimeStoreFor(this.location, stage.file, this.#env), stage.file, secret, {
      now,
      maxAttempts: maxAttemptsFrom(this.#env),
    });
  }

  #unopenable(name: string, where: string): StageSecretsError {
    return new StageSecretsError(
      'INTEGRITY',
      `the runtime store's value of ${name} (${where}) does not open: it was sealed for another name, stage or app, or changed. Nothing of it was used; delete the object, then update ${name} again.`,
    );
  }

  /** Writes a new value of an approved name the stage file has; resolves once it landed. */
  async update(
    file: StageFile,
    secret: { name: string; type: SecretType; value: string },
    now: () => number,
  ): Promise<void> {
    assertUpdatable(file, [], secret.name); // an unknown name is refused before any key is used
    const opened = await openStageFile(file, this.#env);
    assertUpdatable(file, opened.pending, secret.name);
    await updateStoredSecret(runtimeStoreFor(this.location, file, this.#env), file, secret, {
      now,
      maxAttempts: maxAttemptsFrom(this.#env),
    });
  }
}

/** The store of a client: the `store` option, else STAGE_SECRETS_STORE; undefined for none. */
export function runtimeStoreSourceFor(
  store: string | undefined,
  env: NodeJS.ProcessEnv,
): RuntimeStoreSource | undefined {
  const location = runtimeStoreLocationFrom(
    store === undefined ? undefined : { value: store, from: 'SecretClient({ store })' },
    env,
  );
  return location && new RuntimeStoreSource(location, env);
}
