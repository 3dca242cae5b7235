import { describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import {
  parseRuntimeStoreUrl,
  STORE_BACKENDS,
  runtimeStoreBackendOf,
  runtimeStoreUrlForms,
} from '../../../src/runtime-store/backends.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('runtime-store backends', () => {
  it('lists each scheme once, s3 among them', () => {
    const schemes = STORE_BACKENDS.map((b) => b.scheme);
    expect(new Set(schemes).size).toBe(schemes.length);
    expect(schemes).toEqual(['s3', 'ssm', 'secretsmanager']);
    expect(runtimeStoreUrlForms()).toBe('s3://BUCKET/PREFIX, ssm://PATH or secretsmanager://PREFIX');
  });

  it('chooses the backend by the URL scheme, in any letter case of the scheme', () => {
    const location = parseRuntimeStoreUrl('s3://team-bucket/p', '--store');
    expect(location).toMatchObject({ scheme: 's3', url: 's3://team-bucket/p', prefix: 'p' });
    expect(runtimeStoreBackendOf(location).objectUrl(location, 'p/shop/dev/A.json')).toBe(
      's3://team-bucket/p/shop/dev/A.json',
    );
    expect(runtimeStoreBackendOf(location).scheme).toBe('s3');
  });

  it('refuses a URL no backend serves, naming the forms it takes and where the URL came from', () => {
    for (const text of ['gs://bucket/p', 'bucket/p', 'https://bucket/p', '']) {
      expect(
        usage(() => parseRuntimeStoreUrl(text, 'custom.stageSecrets.store')),
        text,
      ).toMatch(
        /not an s3:\/\/, ssm:\/\/ or secretsmanager:\/\/ URL; give it as s3:\/\/BUCKET\/PREFIX, ssm:\/\/PATH or secretsmanager:\/\/PREFIX \(custom\.stageSecrets\.store\)/,
      );
    }
    expect(usage(() => runtimeStoreBackendOf({ scheme: 'gs' }))).toMatch(/no runtime-store backend for gs:\/\//);
  });

  it('has each backend grant one stage folder of its store', () => {
    const location = parseRuntimeStoreUrl('s3://team-bucket', 'x');
    const statements = runtimeStoreBackendOf(location).grant(location, 'shop/dev/', 'read');
    expect(JSON.stringify(statements)).toContain('arn:aws:s3:::team-bucket/shop/dev/*');
    expect(JSON.stringify(statements)).not.toContain('s3:PutObject');
  });
});
