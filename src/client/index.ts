import { StageSecretsError, type ErrorCode } from '../core/errors.js';
import { assertStageName } from '../core/names.js';
import { loadSecrets } from '../stages/load.js';
import type { StageOptions } from '../stages/options.js';
import { Stage } from '../stages/stage.js';
import { setSecrets } from '../stages/secrets.js';
import { runtimeStoreSourceFor, type RuntimeStoreSource } from './runtime-store-source.js';
import { isSecretType, normalizeValue, toTyped, type SecretType, type SecretValue } from '../core/values.js';
import {
  isPreviewPackage,
  packagedSecretsFor,
  packagedStage,
  previewReadOnlyError,
  readOnlyError,
} from './runtime-source.js';

export type { SecretType } from '../core/values.js';

/** What a secret reads back as: a string, a number, or parsed JSON. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const DEFAULT_CACHE_TTL_MS = 5 * 60 * 1000;

export interface SecretClientOptions {
  stage: string;
  /** Secrets folder; default env STAGE_SECRETS_DIR, else the nearest secrets/ with a stage file from cwd up to the git root. */
  dir?: string;
  /** Folder the secrets folder is relative to; default the process's working folder. */
  cwd?: string;
  /** Expected app name; when given, a stage file of another app is refused. */
  app?: string;
  /** How long a read value is reused, in ms; default 5 minutes. 0 turns the cache off. */
  cacheTtlMs?: number;
  /** Clock in ms (tests inject a fake one); default Date.now. */
  now?: () => number;
  /** Environment for key settings and the runner's secrets; default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Runtime store for updates made by running code, `s3://BUCKET/PREFIX`, `ssm://PATH` or
   * `secretsmanager://PREFIX`; default env STAGE_SECRETS_STORE (which the plugin sets on runtime-mode
   * functions with `custom.stageSecrets.store`). With a store, updateSecret writes there and reads take
   * the newer of store and stage file (or packaged secrets).
   */
  store?: string;
}

export interface ReadSecretOptions {
  /** false re-reads the stage file (or env), and the runtime store when set, and refreshes the cache; default true. */
  useCache?: boolean;
}

export interface UpdateSecretRequest {
  key: string;
  /** number → number, string → string, boolean/object/array/null → json, unless `type` says otherwise. */
  value: JsonValue | bigint;
  /** Stored type; with it, a string value is taken as typed text (as the CLI takes it). */
  type?: SecretType;
}

/** Every failure of SecretClient; also a StageSecretsError with the same code. Never holds a value. */
export class SecretError extends StageSecretsError {
  /** The secret the failing call was about, when there was one. */
  readonly key: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { key?: string; cause?: unknown }) {
    super(code, message, { cause: options?.cause });
    this.name = 'SecretError';
    this.key = options?.key;
  }
}

/** One read of the stage's source (stage file or runner env) at one moment. */
interface Snapshot {
  readAt: number;
  /** undefined when the stage has no such secret */
  lookup(key: string): SecretValue | undefined;
}

interface CacheEntry {
  value: JsonValue;
  /** when the source of the value was read; the entry lives until readAt + ttl */
  readAt: number;
}

function asSecretError(err: unknown, key?: string): unknown {
  if (err instanceof SecretError || !(err instanceof StageSecretsError)) return err;
  return new SecretError(err.code, err.message, { key, cause: err });
}

function inferType(value: unknown): SecretType {
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'string') return 'string';
  return 'json';
}

/** The text to seal for a value; a string is taken as typed text (normalizeValue checks it against the type). */
function textOf(key: string, value: unknown): string {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new SecretError(
      'INVALID_VALUE',
      `updateSecret needs a value for ${key}: a string, number, or JSON-serialisable value.`,
      { key },
    );
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new SecretError('INVALID_VALUE', `value of ${key} is not a finite number.`, { key });
    }
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    throw new SecretError(
      'INVALID_VALUE',
      `value of ${key} cannot be serialised as JSON (a cycle or a BigInt inside?).`,
      { key },
    );
  }
}

/**
 * Reads a stage's secrets at run time as typed values, with a per-instance cache, and seals new values
 * into the stage file (public key only). Inside `stage-secrets run` for the same stage, reads come from
 * the env the runner set, without any key.
 */
export class SecretClient {
  readonly stage: string;
  readonly cacheTtlMs: number;
  readonly #options: SecretClientOptions;
  readonly #now: () => number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #used = new Set<string>();
  readonly #store: RuntimeStoreSource | undefined;
  #snapshot: { readAt: number; promise: Promise<Snapshot> } | undefined;

  constructor(options: SecretClientOptions) {
    try {
      assertStageName(options.stage);
    } catch (err) {
      throw asSecretError(err);
    }
    const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    if (!(ttl >= 0)) {
      throw new SecretError('USAGE', 'cacheTtlMs must be a number of milliseconds, 0 or more.');
    }
    this.stage = options.stage;
    this.cacheTtlMs = ttl;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#env = options.env ?? process.env;
    try {
      this.#store = runtimeStoreSourceFor(options.store, this.#env);
    } catch (err) {
      throw asSecretError(err);
    }
  }

  /** Resolves to the secret's typed value: number, string, or parsed JSON. */
  async readSecret<T extends JsonValue = JsonValue>(key: string, options: ReadSecretOptions = {}): Promise<T> {
    const useCache = options.useCache ?? true;
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (useCache && cached && now - cached.readAt < this.cacheTtlMs) {
      return cached.value as T;
    }
    let value: JsonValue;
    let readAt: number;
    try {
      const snapshot = await this.#currentSnapshot(now, !useCache);
      const found = snapshot.lookup(key);
      if (!found) {
        throw new SecretError(
          'NOT_FOUND',
          `stage ${this.stage} has no secret named ${key}; add it with: npx --no-install stage-secrets set --stage ${this.stage} ${key}`,
          { key },
        );
      }
      value = this.#typed(key, found);
      readAt = snapshot.readAt;
    } catch (err) {
      throw asSecretError(err, key);
    }
    this.#cache.set(key, { value, readAt });
    this.#used.add(key);
    return value as T;
  }

  /**
   * Seals a new value for `key` with the stage public key: into the runtime store when one is set (an
   * approved name the stage file has; the stage key checks the approval; in a runtime-mode function, a
   * name packaged for it), else into the stage file. A runtime-mode function without a store, or deployed
   * as a preview stage on a fallback stage's file: READ_ONLY.
   */
  async updateSecret(request: UpdateSecretRequest): Promise<void> {
    const { key, value } = request;
    const type = request.type ?? inferType(value);
    try {
      const packaged = packagedSecretsFor(this.stage);
      if (packaged && isPreviewPackage(packaged)) throw previewReadOnlyError(packaged, key);
      if (packaged && !this.#store) throw readOnlyError(packaged, key);
      if (!isSecretType(type)) throw new SecretError('USAGE', `type must be string, number or json.`, { key });
      const text = normalizeValue(key, type, textOf(key, value));
      if (packaged && this.#store)
        await this.#store.updatePackaged(packagedStage(packaged), { name: key, type, value: text }, this.#now);
      else if (this.#store)
        await this.#store.update(Stage.find(this.#stageOptions()).read(), { name: key, type, value: text }, this.#now);
      else await setSecrets(this.#stageOptions(), [{ name: key, type, value: text }]);
      this.#cache.set(key, { value: this.#typed(key, { type, text }), readAt: this.#now() });
    } catch (err) {
      throw asSecretError(err, key);
    }
    // Other keys' cached values stay; the next miss reads the file as it is now.
    this.#snapshot = undefined;
    this.#used.add(key);
  }

  /** Names this instance read or updated, in first-use order. */
  getUsedSecrets(): string[] {
    return [...this.#used];
  }

  #stageOptions(): StageOptions {
    const o = this.#options;
    const app = o.app === undefined ? undefined : { name: o.app, from: 'SecretClient({ app })' };
    return { stage: this.stage, dir: o.dir, cwd: o.cwd, app, env: this.#env };
  }

  #typed(key: string, value: SecretValue): JsonValue {
    const typed = (() => {
      try {
        return toTyped(value) as JsonValue;
      } catch {
        return undefined; // JSON.parse messages quote the text; never let the value out
      }
    })();
    if (typed === undefined || (typeof typed === 'number' && !Number.isFinite(typed))) {
      throw new SecretError(
        'INVALID_VALUE',
        `${key} is not a valid ${value.type} value; if it came from stage-secrets run, the stage file changed after the run started.`,
        { key },
      );
    }
    return typed;
  }

  /** The open stage, shared by reads until it is older than the TTL (or a read bypasses the cache). */
  #currentSnapshot(now: number, fresh: boolean): Promise<Snapshot> {
    const current = this.#snapshot;
    if (!fresh && current && now - current.readAt < this.cacheTtlMs) return current.promise;
    const promise = this.#open(now);
    const entry = { readAt: now, promise };
    this.#snapshot = entry;
    promise.catch(() => {
      if (this.#snapshot === entry) this.#snapshot = undefined;
    });
    return promise;
  }

  async #open(readAt: number): Promise<Snapshot> {
    // in a runtime-mode function: what the wrapper opened at cold start from the package
    const packaged = packagedSecretsFor(this.stage);
    if (packaged && this.#store) {
      // the newer of the store's value and the packaged one
      const newest = await this.#store.packagedValues(packagedStage(packaged));
      return { readAt, lookup: (key) => newest.get(key) };
    }
    if (packaged) return { readAt, lookup: (key) => packaged.values.get(key) };
    if (this.#store) {
      const newest = await this.#store.values(Stage.find(this.#stageOptions()).read());
      return { readAt, lookup: (key) => newest.get(key) };
    }
    const { values } = await loadSecrets(this.#stageOptions());
    return { readAt, lookup: (key) => values.get(key) };
  }
}
