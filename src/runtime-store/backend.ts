/*
 * What a runtime-store backend is (s3:// today): objects under a URL, read and written with conditional
 * writes. The backends are listed in backends.ts, one line each, and chosen by the URL's scheme.
 */

/** Where runtime updates live, as a backend parsed it from its URL. */
export interface RuntimeStoreLocation {
  /** the URL scheme that chose the backend, e.g. "s3" */
  scheme: string;
  /** as the user should see it, e.g. s3://BUCKET/PREFIX */
  url: string;
  /** the backend's folder for this store, without leading or trailing slash; '' for the root */
  prefix: string;
}

export interface StoreObject {
  key: string;
  text: string;
  etag: string;
}

export interface ListedObject {
  key: string;
  etag: string;
}

/** A write that replaces exactly the version read (`ifMatch`), or creates an object that must not exist. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface ObjectStore {
  readonly location: RuntimeStoreLocation;
  /** undefined when there is no such object */
  get(key: string): Promise<StoreObject | undefined>;
  /** 'conflict' when another writer got there first (412, 409, or the object read is gone) */
  put(key: string, text: string, condition: WriteCondition): Promise<{ etag: string } | 'conflict'>;
  /** every object under `prefix` (all pages) */
  list(prefix: string): Promise<ListedObject[]>;
}

/** A store object larger than this is not an entry (the largest entry is about 60 KB). */
export const MAX_OBJECT_BYTES = 128 * 1024;

/** What a deployed function may do with one stage's folder of the store (runtime mode). */
export type RuntimeStoreAccess = 'read-write' | 'read';

/** Everything about one backend. */
export interface RuntimeStoreBackend<L extends RuntimeStoreLocation = RuntimeStoreLocation> {
  /** the URL scheme it serves, e.g. "s3" (for s3://...) */
  readonly scheme: string;
  /** the URL form for help and messages, e.g. s3://BUCKET/PREFIX */
  readonly urlForm: string;
  /** Parses a URL of its scheme; `from` names where the text came from in errors (e.g. "--store"). */
  parse(text: string, from: string): L;
  /** The store's objects, with settings (endpoint, credentials) from `env`; nothing is loaded until used. */
  objects(location: L, env: NodeJS.ProcessEnv): ObjectStore;
  /** One object (or folder) as a URL, for messages. */
  objectUrl(location: L, key: string): string;
  /** The grant in words, for the plugin's notice: "s3:GetObject, s3:PutObject, s3:ListBucket on that prefix only" */
  grantWords(access: RuntimeStoreAccess): string;
  /** Inside Lambda: load the backend's SDK from the function's package (`load`), as a require() would. */
  coldStart?(load: (pkg: string) => unknown): void;
  /** The IAM statements a deployed function's role needs for one stage folder (runtime mode). */
  grant(location: L, folder: string, access: RuntimeStoreAccess): Array<Record<string, unknown>>;
}

/**
 * `PREFIX/<app>/<stage>/` : the folder of one stage. The app name is URI-encoded (app names may hold
 * any printable character, a slash included); common names (letters, digits, - _ .) stay as they are.
 */
export function stageFolder(location: RuntimeStoreLocation, app: string, stage: string): string {
  const parts = [encodeURIComponent(app), stage];
  return `${location.prefix ? `${location.prefix}/` : ''}${parts.join('/')}/`;
}

/** `PREFIX/<app>/<stage>/<NAME>.json`: the object of one secret. */
export function entryObjectKey(location: RuntimeStoreLocation, app: string, stage: string, name: string): string {
  return `${stageFolder(location, app, stage)}${name}.json`;
}

/** The secret name an object key of the stage folder stands for, or undefined for any other key. */
export function nameOfObjectKey(folder: string, key: string, isName: (name: string) => boolean): string | undefined {
  if (!key.startsWith(folder) || !key.endsWith('.json')) return undefined;
  const name = key.slice(folder.length, -'.json'.length);
  return isName(name) ? name : undefined;
}
