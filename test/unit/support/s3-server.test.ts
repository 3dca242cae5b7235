import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../../support/s3-server.js';

// The test server is only useful if the real SDK accepts it as S3: check the wire protocol itself.
let s3: S3Server;
let client: S3Client;
const Bucket = 'wire-test';

beforeAll(async () => {
  s3 = await startS3Server({ region: 'eu-west-1' });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  client = new S3Client({
    region: 'eu-west-1',
    endpoint: s3.url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'not-a-real-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await s3.close();
});

beforeEach(() => {
  s3.allowAll();
  s3.resetRequests();
  s3.createBucket(Bucket);
});

describe('local S3 server over the real SDK', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(new URL(s3.url).hostname).toBe('127.0.0.1');
  });

  it('puts, gets and heads an object with a stable ETag', async () => {
    const put = await client.send(new PutObjectCommand({ Bucket, Key: 'a/b.json', Body: '{"x":1}' }));
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'a/b.json' }));
    expect(await got.Body!.transformToString()).toBe('{"x":1}');
    expect(got.ETag).toBe(put.ETag);
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'a/b.json' }));
    expect(head.ETag).toBe(put.ETag);
    expect(head.ContentLength).toBe(7);
    expect(s3.getObject(Bucket, 'a/b.json')!.body.toString()).toBe('{"x":1}');
  });

  it('answers a missing key with NoSuchKey (GET) and NotFound (HEAD), a missing bucket with NoSuchBucket', async () => {
    await expect(client.send(new GetObjectCommand({ Bucket, Key: 'nope' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(client.send(new HeadObjectCommand({ Bucket, Key: 'nope' }))).rejects.toMatchObject({
      name: 'NotFound',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  it('honours If-None-Match: * and If-Match with 412, and records the conditions', async () => {
    const first = await client.send(new PutObjectCommand({ Bucket, Key: 'c.json', Body: 'v1', IfNoneMatch: '*' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket, Key: 'c.json', Body: 'v2', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const second = await client.send(new PutObjectCommand({ Bucket, Key: 'c.json', Body: 'v2', IfMatch: first.ETag }));
    await expect(
      client.send(new PutObjectCommand({ Bucket, Key: 'c.json', Body: 'v3', IfMatch: first.ETag })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
    expect(s3.getObject(Bucket, 'c.json')!.body.toString()).toBe('v2');
    expect(s3.getObject(Bucket, 'c.json')!.etag).toBe(second.ETag);
    const puts = s3.requests.filter((r) => r.operation === 'PutObject');
    expect(puts.map((r) => [r.ifNoneMatch, r.ifMatch, r.status])).toEqual([
      ['*', undefined, 200],
      ['*', undefined, 412],
      [undefined, first.ETag, 200],
      [undefined, first.ETag, 412],
    ]);
  });

  it('answers If-Match on a missing key with 404 NoSuchKey, as S3 does', async () => {
    await expect(
      client.send(new PutObjectCommand({ Bucket, Key: 'gone.json', Body: 'x', IfMatch: '"abc"' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(s3.getObject(Bucket, 'gone.json')).toBeUndefined();
  });

  it('lists by prefix over several pages with continuation tokens', async () => {
    for (let i = 0; i < 5; i++) s3.putObject(Bucket, `list/p/${i}.json`, `${i}`);
    s3.putObject(Bucket, 'list/other.json', 'x');
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await client.send(
        new ListObjectsV2Command({ Bucket, Prefix: 'list/p/', MaxKeys: 2, ContinuationToken: token }),
      );
      keys.push(...(out.Contents ?? []).map((c) => c.Key!));
      expect(out.Contents!.every((c) => /^"[0-9a-f]{32}"$/.test(c.ETag!))).toBe(true);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      pages++;
    } while (token);
    expect(keys).toEqual(['list/p/0.json', 'list/p/1.json', 'list/p/2.json', 'list/p/3.json', 'list/p/4.json']);
    expect(pages).toBe(3);
  });

  it('can answer a missing key with 403, as S3 does for a caller without s3:ListBucket on it; listing still answers', async () => {
    s3.hideMissingKeys(true);
    try {
      await expect(client.send(new GetObjectCommand({ Bucket, Key: 'nowhere.json' }))).rejects.toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      s3.putObject(Bucket, 'here.json', 'x');
      await expect(client.send(new GetObjectCommand({ Bucket, Key: 'here.json' }))).resolves.toBeTruthy();
      const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'nowhere.json' }));
      expect(listed.KeyCount ?? 0).toBe(0);
    } finally {
      s3.hideMissingKeys(false);
    }
  });

  it('denies access with 403 AccessDenied, everywhere or for one operation', async () => {
    s3.deny();
    await expect(client.send(new GetObjectCommand({ Bucket, Key: 'a/b.json' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    s3.allowAll();
    s3.deny('PutObject');
    s3.putObject(Bucket, 'd.json', 'kept');
    await expect(client.send(new GetObjectCommand({ Bucket, Key: 'd.json' }))).resolves.toBeTruthy();
    await expect(client.send(new PutObjectCommand({ Bucket, Key: 'd.json', Body: 'changed' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(s3.getObject(Bucket, 'd.json')!.body.toString()).toBe('kept');
  });
});
