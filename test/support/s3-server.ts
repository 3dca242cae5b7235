import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small local S3 for tests: the REST/XML wire protocol, path-style (http://127.0.0.1:PORT/BUCKET/KEY),
 * on 127.0.0.1, so the real `@aws-sdk/client-s3` runs against it over HTTP. GetObject, HeadObject,
 * PutObject (If-Match / If-None-Match answered with 412 as S3 does), ListObjectsV2 (prefix, max-keys,
 * continuation). Each PUT is checked and stored in one step once its body has arrived, as S3 applies a
 * conditional write atomically. Every request is recorded for assertions.
 */

export interface S3RequestLog {
  method: string;
  operation: 'GetObject' | 'HeadObject' | 'PutObject' | 'ListObjectsV2' | 'Other';
  bucket: string;
  key?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  status: number;
}

export interface S3Object {
  body: Buffer;
  etag: string;
  lastModified: Date;
}

export interface S3Server {
  url: string;
  region: string;
  createBucket(name: string): void;
  /** Puts an object directly (a test's hostile or malformed object); returns its ETag. */
  putObject(bucket: string, key: string, body: string | Buffer): string;
  getObject(bucket: string, key: string): S3Object | undefined;
  /** Keys of a bucket, sorted. */
  keys(bucket: string): string[];
  /** Answers every request (or those of `operation`) with 403 AccessDenied until allowAll(). */
  deny(operation?: S3RequestLog['operation']): void;
  allowAll(): void;
  /**
   * Answers a GET or HEAD of a missing key with 403 AccessDenied instead of 404, as S3 does for a caller
   * whose s3:ListBucket grant does not cover the key. ListObjectsV2 still answers.
   */
  hideMissingKeys(on: boolean): void;
  requests: S3RequestLog[];
  resetRequests(): void;
  close(): Promise<void>;
}

function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function errorXml(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>TEST0000</RequestId></Error>`;
}

/** Decodes an `aws-chunked` body (chunk-size[;chunk-signature=...]\r\n data \r\n ... 0\r\n trailers). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('ascii').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export async function startS3Server(options: { region?: string } = {}): Promise<S3Server> {
  const region = options.region ?? 'us-east-1';
  const buckets = new Map<string, Map<string, S3Object>>();
  let denied: Set<string> | 'all' | undefined;
  let hideMissing = false;
  const requests: S3RequestLog[] = [];

  function store(bucket: string, key: string, body: Buffer): string {
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    buckets.get(bucket)!.set(key, { body, etag, lastModified: new Date() });
    return etag;
  }

  function operationOf(method: string, key: string | undefined, query: URLSearchParams): S3RequestLog['operation'] {
    if (key === undefined) return method === 'GET' && query.get('list-type') === '2' ? 'ListObjectsV2' : 'Other';
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'PUT') return 'PutObject';
    return 'Other';
  }

  function listXml(bucket: string, objects: Map<string, S3Object>, query: URLSearchParams): string {
    const prefix = query.get('prefix') ?? '';
    const maxKeys = Math.max(1, Math.min(1000, Number(query.get('max-keys') ?? 1000) || 1000));
    const after = query.get('continuation-token')
      ? Buffer.from(query.get('continuation-token')!, 'base64').toString('utf8')
      : (query.get('start-after') ?? '');
    const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = all.slice(0, maxKeys);
    const truncated = all.length > page.length;
    const contents = page
      .map((k) => {
        const o = objects.get(k)!;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]!, 'utf8').toString('base64')}</NextContinuationToken>`
      : '';
    return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const [, bucket = '', ...rest] = url.pathname.split('/');
      const key = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
      const method = req.method ?? 'GET';
      const operation = operationOf(method, key || undefined, url.searchParams);
      const header = (name: string) =>
        typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined;
      const entry: S3RequestLog = {
        method,
        operation,
        bucket,
        key: key || undefined,
        ifMatch: header('if-match'),
        ifNoneMatch: header('if-none-match'),
        status: 200,
      };
      requests.push(entry);
      const resource = `/${bucket}${key ? `/${key}` : ''}`;
      const send = (status: number, body = '', headers: Record<string, string> = {}) => {
        entry.status = status;
        res.writeHead(status, {
          'x-amz-request-id': 'TEST0000',
          ...(body ? { 'content-type': 'application/xml' } : {}),
          ...headers,
        });
        res.end(method === 'HEAD' ? undefined : body);
      };
      const fail = (status: number, code: string, message: string) => send(status, errorXml(code, message, resource));

      if (denied === 'all' || denied?.has(operation)) return fail(403, 'AccessDenied', 'Access Denied');
      const objects = buckets.get(bucket);
      if (!objects) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (operation === 'ListObjectsV2') return send(200, listXml(bucket, objects, url.searchParams));
      if (!key)
        return fail(501, 'NotImplemented', 'This test server implements object operations and ListObjectsV2 only');

      const current = objects.get(key);
      if (operation === 'GetObject' || operation === 'HeadObject') {
        if (!current && hideMissing) return fail(403, 'AccessDenied', 'Access Denied');
        if (!current) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        entry.status = 200;
        res.writeHead(200, {
          etag: current.etag,
          'content-length': String(current.body.length),
          'content-type': 'application/octet-stream',
          'last-modified': current.lastModified.toUTCString(),
        });
        return res.end(method === 'HEAD' ? undefined : current.body);
      }
      if (operation === 'PutObject') {
        const ifNoneMatch = entry.ifNoneMatch;
        const ifMatch = entry.ifMatch;
        if (ifNoneMatch !== undefined && ifNoneMatch !== '*')
          return fail(501, 'NotImplemented', 'If-None-Match on PUT takes only *');
        if (ifNoneMatch === '*' && current)
          return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        if (ifMatch !== undefined) {
          if (!current) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
          if (ifMatch !== current.etag && ifMatch !== '*')
            return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        }
        const raw = Buffer.concat(chunks);
        const body = /aws-chunked/.test(header('content-encoding') ?? '') ? decodeAwsChunked(raw) : raw;
        const etag = store(bucket, key, body);
        return send(200, '', { etag });
      }
      return fail(501, 'NotImplemented', `${method} is not implemented by this test server`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    createBucket(name) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    putObject(bucket, key, body) {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
      return store(bucket, key, Buffer.from(body));
    },
    getObject: (bucket, key) => buckets.get(bucket)?.get(key),
    keys: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    deny(operation) {
      if (!operation) denied = 'all';
      else {
        if (denied === 'all') return;
        denied ??= new Set();
        denied.add(operation);
      }
    },
    allowAll() {
      denied = undefined;
    },
    hideMissingKeys(on) {
      hideMissing = on;
    },
    requests,
    resetRequests() {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
