import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStageKeyPair, Opener, publicKeyFingerprint } from '../../../src/core/crypto.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import type { SecretEntry, StageFile } from '../../../src/core/format.js';
import {
  assertUpdatable,
  maxAttemptsFrom,
  parseStoreEntry,
  readRuntimeStoreEntries,
  runtimeStoreFor,
  storeIsNewer,
  updateStoredSecret,
  withNewerEntries,
  type RuntimeStore,
} from '../../../src/stages/runtime-store.js';
import { valueAad } from '../../../src/stages/sealing.js';
import { entryObjectKey, nameOfObjectKey, stageFolder } from '../../../src/runtime-store/backend.js';
import { parseRuntimeStoreUrl, runtimeStoreLocationFrom } from '../../../src/runtime-store/backends.js';
import type { S3Location } from '../../../src/runtime-store/s3-location.js';
import { s3ObjectStore, usePathStyle, type ObjectStore } from '../../../src/runtime-store/s3-store.js';
import { sampleLocalIdentity } from '../../support/records.js';
import { startS3Server, type S3Server } from '../../support/s3-server.js';

let s3: S3Server;
let env: NodeJS.ProcessEnv;
const keys = generateStageKeyPair();
const B64 = (n: number) => Buffer.alloc(n, 7).toString('base64');
/** The checking machine's clock, a few minutes after the fixtures' dates: store dates are bounded by it. */
const NOW = () => Date.parse('2030-01-01T00:05:00Z');

function entry(updated: string, extra: Partial<SecretEntry> = {}): SecretEntry {
  return { type: 'string', updated, epk: B64(32), nonce: B64(12), ct: B64(5), tag: B64(16), ...extra };
}

function stageFile(secrets: Record<string, SecretEntry>): StageFile {
  return {
    version: 2,
    app: 'shop',
    stage: 'dev',
    publicKey: keys.publicKey.toString('base64'),
    identities: [sampleLocalIdentity()],
    secrets,
  };
}

function open(file: StageFile, name: string, e: SecretEntry): string | undefined {
  return new Opener(keys.privateKey, keys.publicKey).open(valueAad(file, name, e.type), e);
}

let bucketNo = 0;
function freshStore(objects?: (inner: ObjectStore) => ObjectStore): RuntimeStore {
  const bucket = `unit-${++bucketNo}`;
  s3.createBucket(bucket);
  const location = parseRuntimeStoreUrl(`s3://${bucket}/p`, 'test');
  const inner = s3ObjectStore(location as S3Location, env);
  return runtimeStoreFor(location, { app: 'shop', stage: 'dev' }, env, objects ? objects(inner) : inner);
}

beforeAll(async () => {
  s3 = await startS3Server();
  env = {
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDUNIT',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
  };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
});

afterAll(() => s3.close());
beforeEach(() => s3.resetRequests());

describe('store location', () => {
  it('parses s3://BUCKET/PREFIX, with or without prefix and trailing slash', () => {
    expect(parseRuntimeStoreUrl('s3://my-bucket/team/secrets/', 'x')).toEqual({
      scheme: 's3',
      bucket: 'my-bucket',
      prefix: 'team/secrets',
      url: 's3://my-bucket/team/secrets',
    });
    expect(parseRuntimeStoreUrl('s3://my.bucket', 'x')).toEqual({
      scheme: 's3',
      bucket: 'my.bucket',
      prefix: '',
      url: 's3://my.bucket',
    });
    for (const bad of [
      'my-bucket/x',
      'https://my-bucket/x',
      's3://My_Bucket/x',
      's3://ab/x',
      's3://a..b/x',
      's3://bucket//x',
      's3://bucket/a\nb',
    ]) {
      expect(() => parseRuntimeStoreUrl(bad, '--store'), bad).toThrow(/\(--store\)/);
    }
  });

  it('takes the option first, else STAGE_SECRETS_STORE, else none', () => {
    const fromEnv = { STAGE_SECRETS_STORE: 's3://env-bucket/e' };
    expect(runtimeStoreLocationFrom({ value: 's3://opt-bucket/o', from: 'opt' }, fromEnv)?.url).toBe(
      's3://opt-bucket/o',
    );
    expect(runtimeStoreLocationFrom(undefined, fromEnv)?.url).toBe('s3://env-bucket/e');
    expect(runtimeStoreLocationFrom(undefined, {})).toBeUndefined();
    expect(() => runtimeStoreLocationFrom(undefined, { STAGE_SECRETS_STORE: 'nope' })).toThrow(/STAGE_SECRETS_STORE/);
  });

  it('lays out PREFIX/<app>/<stage>/<NAME>.json, app URI-encoded, and maps keys back to names', () => {
    const loc = parseRuntimeStoreUrl('s3://b-1/pre', 'x');
    expect(entryObjectKey(loc, 'shop', 'dev', 'API_TOKEN')).toBe('pre/shop/dev/API_TOKEN.json');
    expect(stageFolder(loc, 'my app/x', 'prod')).toBe('pre/my%20app%2Fx/prod/');
    expect(stageFolder(parseRuntimeStoreUrl('s3://b-1', 'x'), 'shop', 'dev')).toBe('shop/dev/');
    const isName = (n: string) => /^[A-Za-z][A-Za-z0-9_]*$/.test(n);
    expect(nameOfObjectKey('pre/shop/dev/', 'pre/shop/dev/A_B.json', isName)).toBe('A_B');
    expect(nameOfObjectKey('pre/shop/dev/', 'pre/shop/dev/sub/A.json', isName)).toBeUndefined();
    expect(nameOfObjectKey('pre/shop/dev/', 'pre/shop/dev/A.txt', isName)).toBeUndefined();
  });

  it('uses path-style addressing for a local endpoint only, unless told otherwise', () => {
    expect(usePathStyle({})).toBe(false);
    expect(usePathStyle({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' })).toBe(true);
    expect(usePathStyle({ AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe(true);
    expect(usePathStyle({ AWS_ENDPOINT_URL_S3: 'https://s3.eu-west-1.amazonaws.com' })).toBe(false);
    expect(
      usePathStyle({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toBe(false);
    expect(usePathStyle({ AWS_ENDPOINT_URL_S3: 'https://minio.internal', STAGE_SECRETS_S3_PATH_STYLE: 'true' })).toBe(
      true,
    );
    expect(usePathStyle({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', STAGE_SECRETS_S3_PATH_STYLE: 'false' })).toBe(
      false,
    );
    expect(() => usePathStyle({ STAGE_SECRETS_S3_PATH_STYLE: 'maybe' })).toThrow(StageSecretsError);
  });
});

describe('newest of store and stage file', () => {
  it('takes the store only when strictly later; a tie keeps the stage file', () => {
    expect(storeIsNewer(entry('2030-01-01T00:00:00.001Z'), entry('2030-01-01T00:00:00.000Z'))).toBe(true);
    expect(storeIsNewer(entry('2030-01-01T00:00:00.000Z'), entry('2030-01-01T00:00:00.000Z'))).toBe(false);
    expect(storeIsNewer(entry('2029-12-31T23:59:59Z'), entry('2030-01-01T00:00:00Z'))).toBe(false);
  });

  it("replaces entries with newer store entries, keeps the file's approval, never adds a name", () => {
    const file = stageFile({
      A: entry('2030-01-01T00:00:00Z', { approved: B64(32) }),
      B: entry('2030-01-01T00:00:00Z'),
    });
    const stored = entry('2030-01-02T00:00:00Z', { ct: B64(9) });
    const result = withNewerEntries(file, {
      entries: new Map([
        ['A', { name: 'A', entry: stored, etag: '"1"', where: 'w' }],
        ['B', { name: 'B', entry: entry('2029-01-01T00:00:00Z'), etag: '"2"', where: 'w' }],
        ['C', { name: 'C', entry: stored, etag: '"3"', where: 'w' }],
      ]),
    });
    expect(result.fromStore).toEqual(['A']);
    expect(result.file.secrets.A).toEqual({ ...stored, approved: B64(32) });
    expect(result.file.secrets.B).toBe(file.secrets.B);
    expect(Object.keys(result.file.secrets)).toEqual(['A', 'B']);
  });
});

describe('store entries and references', () => {
  it('a store object never replaces a reference, nor stands for one, however new', () => {
    const file = stageFile({
      REF: entry('2030-01-01T00:00:00Z', { ref: true, approved: B64(32) }),
      VAL: entry('2030-01-01T00:00:00Z', { approved: B64(32) }),
    });
    const newer = entry('2030-01-02T00:00:00Z', { ct: B64(9) });
    const result = withNewerEntries(file, {
      entries: new Map([
        ['REF', { name: 'REF', entry: newer, etag: '"1"', where: 'w' }],
        ['VAL', { name: 'VAL', entry: { ...newer, ref: true }, etag: '"2"', where: 'w' }],
      ]),
    });
    expect(result.fromStore).toEqual([]);
    expect(result.file).toBe(file);
  });

  it('updateStoredSecret and assertUpdatable refuse a reference (READ_ONLY, naming the fix), writing nothing', async () => {
    const store = freshStore();
    const file = stageFile({ REF: entry('2030-01-01T00:00:00Z', { ref: true, approved: B64(32) }) });
    const refused = await updateStoredSecret(
      store,
      file,
      { name: 'REF', type: 'string', value: 'v' },
      { now: NOW },
    ).catch((e: unknown) => e as StageSecretsError);
    expect(refused).toMatchObject({ code: 'READ_ONLY' });
    expect((refused as Error).message).toMatch(/REF in stage dev is a reference.*stage-secrets set --stage dev REF/);
    expect(() => assertUpdatable(file, [], 'REF')).toThrow(/REF in stage dev is a reference/);
    expect(s3.requests.filter((r) => r.operation === 'PutObject')).toEqual([]);
  });
});

describe('store entries', () => {
  it('parse with the stage-file schema; a malformed object or one with an approval tag fails closed without its content', () => {
    expect(parseStoreEntry(JSON.stringify(entry('2030-01-01T00:00:00Z')), 'A', 's3://b/k')).toEqual(
      entry('2030-01-01T00:00:00Z'),
    );
    const cases = [
      'secret-looking-content',
      JSON.stringify({ ...entry('2030-01-01T00:00:00Z'), extra: 'secret-looking-content' }),
      JSON.stringify(entry('2030-01-01T00:00:00Z', { approved: B64(32) })),
    ];
    for (const text of cases) {
      const err = (() => {
        try {
          parseStoreEntry(text, 'A', 's3://b/k');
        } catch (e) {
          return e as StageSecretsError;
        }
      })();
      expect(err?.code).toBe('FORMAT');
      expect(err?.message).toContain('object for A (s3://b/k)');
      expect(err?.message).not.toContain('secret-looking-content');
    }
  });

  it('read: only names the file has; unknown names reported; unchanged objects not fetched again', async () => {
    const store = freshStore();
    const file = stageFile({ A: entry('2030-01-01T00:00:00Z'), B: entry('2030-01-01T00:00:00Z') });
    await updateStoredSecret(store, file, { name: 'A', type: 'string', value: 'a-value' }, { now: NOW });
    s3.putObject(
      (store.location as S3Location).bucket,
      `${store.folder}ZED.json`,
      JSON.stringify(entry('2030-01-01T00:00:00Z')),
    );
    s3.putObject((store.location as S3Location).bucket, `${store.folder}notes.txt`, 'not ours');
    const cache = new Map();
    const first = await readRuntimeStoreEntries(store, file, { cache, now: NOW });
    expect([...first.entries.keys()]).toEqual(['A']);
    expect(first.unknown).toEqual(['ZED']);
    s3.resetRequests();
    const second = await readRuntimeStoreEntries(store, file, { cache, now: NOW });
    expect(second.entries.get('A')!.entry).toEqual(first.entries.get('A')!.entry);
    expect(s3.requests.map((r) => r.operation)).toEqual(['ListObjectsV2']);
  });
});

describe('updateStoredSecret', () => {
  const file = stageFile({ TOKEN: entry('2030-01-01T00:00:00.000Z', { approved: B64(32) }) });

  it('seals as a stage-file entry (same associated data, no approval tag), first with If-None-Match: *, then If-Match', async () => {
    const store = freshStore();
    const first = await updateStoredSecret(
      store,
      file,
      { name: 'TOKEN', type: 'string', value: 'v1' },
      { now: () => Date.parse('2031-01-01T00:00:00Z') },
    );
    expect(first.attempts).toBe(1);
    expect(first.entry.updated).toBe('2031-01-01T00:00:00.000Z');
    const key = entryObjectKey(store.location, 'shop', 'dev', 'TOKEN');
    const stored = JSON.parse(s3.getObject((store.location as S3Location).bucket, key)!.body.toString()) as SecretEntry;
    expect(Object.keys(stored)).toEqual(['type', 'updated', 'sealedTo', 'epk', 'nonce', 'ct', 'tag']);
    expect(stored.sealedTo).toBe(publicKeyFingerprint(file.publicKey)); // the key it was really sealed to
    expect(open(file, 'TOKEN', stored)).toBe('v1');
    expect(open(file, 'OTHER', stored)).toBeUndefined();
    const etag = s3.getObject((store.location as S3Location).bucket, key)!.etag;
    await updateStoredSecret(
      store,
      file,
      { name: 'TOKEN', type: 'number', value: '7' },
      { now: () => Date.parse('2031-01-01T00:01:00Z') },
    );
    const puts = s3.requests.filter((r) => r.operation === 'PutObject');
    expect(puts.map((r) => [r.ifNoneMatch, r.ifMatch])).toEqual([
      ['*', undefined],
      [undefined, etag],
    ]);
    expect(
      open(file, 'TOKEN', JSON.parse(s3.getObject((store.location as S3Location).bucket, key)!.body.toString())),
    ).toBe('7');
  });

  it('tells a missing object from a denied one when S3 answers both with 403 (ListBucket not granted on the key)', async () => {
    const store = freshStore();
    s3.hideMissingKeys(true);
    try {
      const first = await updateStoredSecret(
        store,
        file,
        { name: 'TOKEN', type: 'string', value: 'first-write-v1' },
        { now: NOW },
      );
      expect(first.attempts).toBe(1);
      const key = entryObjectKey(store.location, 'shop', 'dev', 'TOKEN');
      expect(
        open(file, 'TOKEN', JSON.parse(s3.getObject((store.location as S3Location).bucket, key)!.body.toString())),
      ).toBe('first-write-v1');
      expect(s3.requests.filter((r) => r.operation === 'PutObject').map((r) => r.ifNoneMatch)).toEqual(['*']);
      // a listing that is denied too: the 403 stays a denial, and nothing is written
      const other = freshStore();
      s3.deny('ListObjectsV2');
      const denied = await updateStoredSecret(
        other,
        file,
        { name: 'TOKEN', type: 'string', value: 'never-written-v2' },
        { now: NOW },
      ).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(StageSecretsError);
      expect((denied as StageSecretsError).code).toBe('ACCESS_DENIED');
      expect(s3.keys((other.location as S3Location).bucket)).toEqual([]);
    } finally {
      s3.hideMissingKeys(false);
      s3.allowAll();
    }
  });

  it("never dates an update before what it replaces, so an instance whose clock is behind (within S3's 15-minute skew) still writes the newest", async () => {
    const store = freshStore();
    const behind = () => Date.parse('2029-12-31T23:50:00Z');
    const first = await updateStoredSecret(store, file, { name: 'TOKEN', type: 'string', value: 'a' }, { now: behind });
    expect(first.entry.updated).toBe('2030-01-01T00:00:00.001Z');
    const second = await updateStoredSecret(
      store,
      file,
      { name: 'TOKEN', type: 'string', value: 'b' },
      { now: behind },
    );
    expect(second.entry.updated).toBe('2030-01-01T00:00:00.002Z');
  });

  it('re-reads and retries after another writer got there first, with growing jittered waits', async () => {
    let races = 2;
    const sleeps: number[] = [];
    const store = freshStore((inner) => ({
      ...inner,
      location: inner.location,
      get: (k) => inner.get(k),
      list: (p) => inner.list(p),
      async put(k, text, condition) {
        if (races-- > 0) {
          // another instance's write lands between this one's read and its write
          const current = await inner.get(k);
          await inner.put(
            k,
            text.replace(/"ct":"[^"]*"/, `"ct":"${B64(6)}"`),
            current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
          );
        }
        return inner.put(k, text, condition);
      },
    }));
    const result = await updateStoredSecret(
      store,
      file,
      { name: 'TOKEN', type: 'string', value: 'mine' },
      { now: NOW, sleep: async (ms) => void sleeps.push(ms), random: () => 0.999 },
    );
    expect(result.attempts).toBe(3);
    expect(sleeps).toEqual([49, 99]);
    const stored = JSON.parse(
      s3
        .getObject((store.location as S3Location).bucket, entryObjectKey(store.location, 'shop', 'dev', 'TOKEN'))!
        .body.toString(),
    );
    expect(open(file, 'TOKEN', stored)).toBe('mine');
    const statuses = s3.requests.filter((r) => r.operation === 'PutObject').map((r) => r.status);
    expect(statuses).toEqual([200, 412, 200, 412, 200]);
  });

  it('rejects with LOCKED when every attempt loses, leaving the last writer whole', async () => {
    const store = freshStore((inner) => ({
      ...inner,
      async put(k, text, condition) {
        const current = await inner.get(k);
        await inner.put(
          k,
          text.replace(/"ct":"[^"]*"/, `"ct":"${B64(6)}"`),
          current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
        );
        return inner.put(k, text, condition);
      },
    }));
    const err = await updateStoredSecret(
      store,
      file,
      { name: 'TOKEN', type: 'string', value: 'mine' },
      { now: NOW, maxAttempts: 3, sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LOCKED' });
    expect((err as Error).message).toMatch(
      /TOKEN is being updated concurrently .* after 3 conditional writes .* nothing of it was written\. Retry/,
    );
    const stored = JSON.parse(
      s3
        .getObject((store.location as S3Location).bucket, entryObjectKey(store.location, 'shop', 'dev', 'TOKEN'))!
        .body.toString(),
    );
    expect(stored.ct).toBe(B64(6));
  });

  it('refuses names the file lacks, pending names and bad values before writing anything', async () => {
    const store = freshStore();
    expect(() => assertUpdatable(file, [], 'NOPE')).toThrow(/no secret named NOPE/);
    expect(() => assertUpdatable(file, ['TOKEN'], 'TOKEN')).toThrow(/pending approval.*approve --stage dev TOKEN/);
    expect(() => assertUpdatable(file, [], 'TOKEN')).not.toThrow();
    await expect(updateStoredSecret(store, file, { name: 'NOPE', type: 'string', value: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      updateStoredSecret(store, file, { name: 'TOKEN', type: 'number', value: 'twelve' }),
    ).rejects.toMatchObject({ code: 'INVALID_VALUE' });
    expect(s3.requests).toEqual([]);
  });

  it('takes its attempt limit from STAGE_SECRETS_STORE_MAX_ATTEMPTS', () => {
    expect(maxAttemptsFrom({})).toBe(10);
    expect(maxAttemptsFrom({ STAGE_SECRETS_STORE_MAX_ATTEMPTS: '3' })).toBe(3);
    expect(() => maxAttemptsFrom({ STAGE_SECRETS_STORE_MAX_ATTEMPTS: '0' })).toThrow(/1 to 50/);
  });
});
