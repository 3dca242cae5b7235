import { StageSecretsError } from '../core/errors.js';
import type { RuntimeStoreLocation } from './backend.js';

/** Where runtime updates live on S3: `s3://BUCKET/PREFIX`. */
export interface S3Location extends RuntimeStoreLocation {
  scheme: 's3';
  bucket: string;
}

// S3's rules for new buckets: 3-63 characters, lowercase letters, digits, dots and hyphens,
// starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_PREFIX = 512;

/** Parses `s3://BUCKET[/PREFIX]`; `from` names where the text came from in errors (e.g. "--store"). */
export function parseS3Url(text: string, from: string): S3Location {
  const fix = `give it as s3://BUCKET/PREFIX (${from})`;
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
  return { scheme: 's3', bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ''}` };
}

/** The ARN patterns an IAM statement needs for this store (for messages and the plugin). */
export function storeArns(location: S3Location): { bucket: string; objects: string } {
  return {
    bucket: `arn:aws:s3:::${location.bucket}`,
    objects: `arn:aws:s3:::${location.bucket}/${location.prefix ? `${location.prefix}/` : ''}*`,
  };
}
