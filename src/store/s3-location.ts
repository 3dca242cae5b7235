import { StageSecretsError } from '../core/errors.js';

/** The env var that names the runtime store when no option does. */
export const STORE_ENV = 'STAGE_SECRETS_STORE';

/** Where runtime updates live: `s3://BUCKET/PREFIX`. */
export interface StoreLocation {
  bucket: string;
  /** without leading or trailing slash; '' for the bucket's root */
  prefix: string;
  /** as the user should see it: s3://BUCKET/PREFIX */
  url: string;
}

// S3's rules for new buckets: 3-63 characters, lowercase letters, digits, dots and hyphens,
// starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_PREFIX = 512;

/** Parses `s3://BUCKET[/PREFIX]`; `source` names where the text came from in errors (e.g. "--store"). */
export function parseStoreUrl(text: string, source: string): StoreLocation {
  const fix = `give it as s3://BUCKET/PREFIX (${source})`;
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(text.trim());
  if (!match) throw new StageSecretsError('USAGE', `the runtime store is not an s3:// URL; ${fix}.`);
  const bucket = match[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new StageSecretsError(
      'USAGE',
      `the runtime store names an invalid S3 bucket (3-63 lowercase letters, digits, dots, hyphens); ${fix}.`,
    );
  }
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  if (
    prefix.length > MAX_PREFIX ||
    prefix.startsWith('/') ||
    prefix.includes('//') ||
    /[\u0000-\u001f\u007f]/.test(prefix)
  ) {
    throw new StageSecretsError(
      'USAGE',
      `the runtime store's prefix must be at most ${MAX_PREFIX} printable characters without empty path segments; ${fix}.`,
    );
  }
  return { bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ''}` };
}

/** The store to use: an explicit setting (option, flag, plugin setting) first, else STAGE_SECRETS_STORE. */
export function storeLocationFrom(
  setting: { value: string; source: string } | undefined,
  env: NodeJS.ProcessEnv,
): StoreLocation | undefined {
  if (setting !== undefined && setting.value.trim() !== '') return parseStoreUrl(setting.value, setting.source);
  const fromEnv = env[STORE_ENV];
  if (fromEnv === undefined || fromEnv.trim() === '') return undefined;
  return parseStoreUrl(fromEnv, STORE_ENV);
}

/**
 * `PREFIX/<app>/<stage>/` : the folder of one stage. The app name is URI-encoded (app names may hold
 * any printable character, a slash included); common names (letters, digits, - _ .) stay as they are.
 */
export function stageFolder(location: StoreLocation, app: string, stage: string): string {
  const parts = [encodeURIComponent(app), stage];
  return `${location.prefix ? `${location.prefix}/` : ''}${parts.join('/')}/`;
}

/** `PREFIX/<app>/<stage>/<NAME>.json`: the object of one secret. */
export function entryObjectKey(location: StoreLocation, app: string, stage: string, name: string): string {
  return `${stageFolder(location, app, stage)}${name}.json`;
}

/** The secret name an object key of the stage folder stands for, or undefined for any other key. */
export function nameOfObjectKey(folder: string, key: string, isName: (name: string) => boolean): string | undefined {
  if (!key.startsWith(folder) || !key.endsWith('.json')) return undefined;
  const name = key.slice(folder.length, -'.json'.length);
  return isName(name) ? name : undefined;
}

/** The ARN patterns an IAM statement needs for this store (for messages and the plugin). */
export function storeArns(location: StoreLocation): { bucket: string; objects: string } {
  return {
    bucket: `arn:aws:s3:::${location.bucket}`,
    objects: `arn:aws:s3:::${location.bucket}/${location.prefix ? `${location.prefix}/` : ''}*`,
  };
}
