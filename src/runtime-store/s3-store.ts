import type { S3Client } from '@aws-sdk/client-s3';
import { StageSecretsError } from '../core/errors.js';
import {
  awsClientSettings,
  type SdkErrorLike,
  said,
  sdkClients,
  setupError,
  unreachableError,
  statusOf,
} from './aws-settings.js';
import {
  MAX_OBJECT_BYTES,
  type ListedObject,
  type ObjectStore,
  type RuntimeStoreAccess,
  type RuntimeStoreBackend,
} from './backend.js';
import { parseS3Url, storeArns, type S3Location } from './s3-location.js';

export type { ListedObject, ObjectStore, StoreObject, WriteCondition } from './backend.js';
export { MAX_OBJECT_BYTES } from './backend.js';

/*
 * Objects of the runtime store on Amazon S3, read and written with conditional writes. No file system
 * and nothing Node-CLI-only here: the Lambda runtime bundles this module and gets the SDK from Lambda.
 * The SDK is imported on first use, so nothing loads it unless a store is configured.
 */

/** `STAGE_SECRETS_S3_PATH_STYLE=true|false`; by default path-style only for an IP or localhost endpoint. */
export const PATH_STYLE_ENV = 'STAGE_SECRETS_S3_PATH_STYLE';
const ENDPOINT_VAR = 'AWS_ENDPOINT_URL_S3';

/** The S3 endpoint the SDK would use from the env (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL). */
export function configuredEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return awsClientSettings(env, ENDPOINT_VAR).endpoint;
}

/**
 * Path-style addressing (https://host/BUCKET/KEY) is what local S3-compatible servers answer; the SDK
 * takes it only as the `forcePathStyle` option (no env setting). Real S3 keeps virtual-hosted style.
 */
export function usePathStyle(env: NodeJS.ProcessEnv): boolean {
  const setting = env[PATH_STYLE_ENV];
  if (setting !== undefined && setting !== '') {
    if (/^(true|1|yes)$/i.test(setting)) return true;
    if (/^(false|0|no)$/i.test(setting)) return false;
    throw new StageSecretsError('USAGE', `${PATH_STYLE_ENV} must be true or false.`);
  }
  const endpoint = configuredEndpoint(env);
  if (!endpoint) return false;
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false; // the SDK reports a malformed endpoint itself
  }
  return (
    host === 'localhost' || host.endsWith('.localhost') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[')
  );
}

/** The SDK module; how it is found can be changed (inside Lambda it resolves from the task root and NODE_PATH). */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

/**
 * One client per configuration and process. Endpoint, region and keys given in `env` are passed on
 * (the SecretClient's `env` option); anything else comes from the SDK's usual resolution.
 */
const clients = sdkClients<S3Sdk, S3Client>(
  () => import('@aws-sdk/client-s3'),
  ENDPOINT_VAR,
  (sdk, options) => new sdk.S3Client(options),
  (env) => ({ forcePathStyle: usePathStyle(env), followRegionRedirects: true }),
);

/**
 * Where the SDK comes from in this process; set by an entry point that cannot use a plain import (an
 * ES module import() does not look at NODE_PATH, where Lambda keeps the SDK).
 */
export function setS3SdkLoader(loader: () => Promise<S3Sdk>): void {
  clients.setLoader(loader);
}

function isConflict(err: SdkErrorLike): boolean {
  return (
    ['PreconditionFailed', 'ConditionalRequestConflict', 'NoSuchKey'].includes(err.name ?? '') ||
    statusOf(err) === 412 ||
    statusOf(err) === 409
  );
}

function isMissing(err: SdkErrorLike): boolean {
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || (statusOf(err) === 404 && err.name !== 'NoSuchBucket');
}

/** Turns an SDK failure into an error with the right code and a next step. */
export function storeError(err: unknown, operation: string, location: S3Location, key?: string): StageSecretsError {
  if (err instanceof StageSecretsError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  const where = key ? `s3://${location.bucket}/${key}` : location.url;
  const arns = storeArns(location);
  const setup = setupError(err, location.url);
  if (setup) return setup;
  if (
    e.name === 'AccessDenied' ||
    e.name === 'InvalidAccessKeyId' ||
    e.name === 'SignatureDoesNotMatch' ||
    e.name === 'ExpiredToken' ||
    statusOf(e) === 403
  ) {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `access denied to the runtime store (${operation} on ${where}): the AWS identity needs s3:GetObject and s3:PutObject on ${arns.objects} and s3:ListBucket on ${arns.bucket} for that prefix (docs/runtime-store.md). Nothing was written.${said('S3', e)}`,
      { cause: err },
    );
  }
  if (e.name === 'NoSuchBucket') {
    return new StageSecretsError(
      'NOT_FOUND',
      `the runtime store's bucket ${location.bucket} does not exist (or is in another partition): check the store setting (${location.url}).`,
      { cause: err },
    );
  }
  const unreachable = unreachableError(err, { url: location.url, operation, endpointVar: ENDPOINT_VAR });
  if (unreachable) return unreachable;
  return new StageSecretsError(
    'IO',
    `${operation} on the runtime store failed for ${where} (${e.name || 'unknown error'}). Nothing was written.${said('S3', e)}`,
    { cause: err },
  );
}

/** The runtime store's objects on S3 (or an S3-compatible endpoint), with settings from `env`. */
export function s3ObjectStore(location: S3Location, env: NodeJS.ProcessEnv): ObjectStore {
  const bucket = location.bucket;
  /**
   * S3 answers a GET of a missing key with 403 unless the caller's s3:ListBucket grant covers it, and
   * whether a grant limited by an s3:prefix condition counts is S3's business. A listing of the key
   * itself settles it: absent there, the object is missing (a first write); else the 403 is a denial.
   */
  async function listedAbsent(key: string): Promise<boolean> {
    try {
      const { sdk, client } = await clients.get(env);
      const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
      return !(out.Contents ?? []).some((item) => item.Key === key);
    } catch {
      return false; // the listing is denied too: keep the GetObject's own error
    }
  }
  return {
    location,
    async get(key) {
      try {
        const { sdk, client } = await clients.get(env);
        const out = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        if ((out.ContentLength ?? 0) > MAX_OBJECT_BYTES) {
          await out.Body?.transformToByteArray().catch(() => undefined); // free the connection
          throw new StageSecretsError(
            'FORMAT',
            `the runtime store object s3://${bucket}/${key} is larger than any entry (${out.ContentLength} bytes); it was not written by stage-secrets. Delete it.`,
          );
        }
        const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
        if (bytes.length > MAX_OBJECT_BYTES) {
          throw new StageSecretsError(
            'FORMAT',
            `the runtime store object s3://${bucket}/${key} is larger than any entry; it was not written by stage-secrets. Delete it.`,
          );
        }
        if (!out.ETag)
          throw new StageSecretsError(
            'IO',
            `S3 answered GetObject for s3://${bucket}/${key} without an ETag; conditional writes need one.`,
          );
        return { key, text: new TextDecoder('utf-8', { fatal: false }).decode(bytes), etag: out.ETag };
      } catch (err) {
        if (isMissing(err as SdkErrorLike)) return undefined;
        if (statusOf(err as SdkErrorLike) === 403 && (await listedAbsent(key))) return undefined;
        throw storeError(err, 'GetObject', location, key);
      }
    },
    async put(key, text, condition) {
      try {
        const { sdk, client } = await clients.get(env);
        const out = await client.send(
          new sdk.PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: text,
            ContentType: 'application/json',
            ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: condition.ifNoneMatch }),
          }),
        );
        return { etag: out.ETag ?? '' };
      } catch (err) {
        if (isConflict(err as SdkErrorLike)) return 'conflict';
        throw storeError(err, 'PutObject', location, key);
      }
    },
    async list(prefix) {
      const found: ListedObject[] = [];
      try {
        const { sdk, client } = await clients.get(env);
        let token: string | undefined;
        do {
          const out = await client.send(
            new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          );
          for (const item of out.Contents ?? []) if (item.Key) found.push({ key: item.Key, etag: item.ETag ?? '' });
          token = out.IsTruncated ? out.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw storeError(err, 'ListObjectsV2', location);
      }
      return found;
    },
  };
}

/**
 * The statements that let a function's role use one stage's objects, and nothing else: GetObject (and
 * PutObject for 'read-write') under `PREFIX/<app>/<stage>/`, and ListBucket limited to that prefix (the
 * client lists the folder, and without ListBucket S3 answers a missing object with 403 instead of 404).
 */
function s3Grant(location: S3Location, folder: string, access: RuntimeStoreAccess): Array<Record<string, unknown>> {
  return [
    {
      Effect: 'Allow',
      Action: access === 'read-write' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      Resource: `arn:aws:s3:::${location.bucket}/${folder}*`,
    },
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: `arn:aws:s3:::${location.bucket}`,
      Condition: { StringLike: { 's3:prefix': `${folder}*` } },
    },
  ];
}

export const s3Backend: RuntimeStoreBackend<S3Location> = {
  scheme: 's3',
  urlForm: 's3://BUCKET/PREFIX',
  parse: parseS3Url,
  objects: s3ObjectStore,
  objectUrl: (location, key) => `s3://${location.bucket}/${key}`,
  grant: s3Grant,
  grantWords: (access) =>
    access === 'read-write'
      ? 's3:GetObject, s3:PutObject, s3:ListBucket on that prefix only'
      : 's3:GetObject, s3:ListBucket on that prefix only; no s3:PutObject',
  coldStart(load) {
    setS3SdkLoader(async () => load('@aws-sdk/client-s3') as S3Sdk);
  },
};
