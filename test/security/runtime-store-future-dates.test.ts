/**
 * `updated` of a runtime-store object is not authenticated (it is not in the sealed value's associated
 * data), and the newer of store and stage file wins. A store writer (a compromised function) could date
 * an object far ahead, so that it wins over every later `set` and every later update builds on its date.
 * Readers and writers refuse an object dated more than 15 minutes (SigV4's own clock-skew limit) after
 * both their clock and the stage file's entry, and one whose date is not a time at all, naming the
 * object and the fix, never its content.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretClient } from '../../src/client/index.js';
import { pullStage } from '../../src/stages/pull.js';
import { parseRuntimeStoreUrl } from '../../src/stages/runtime-store.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';

const BUCKET = 'future-store';
const STORE = `s3://${BUCKET}/rt`;
const KEY = 'rt/shop/dev/TOKEN.json';

let s3: S3Server;
let ws: Workspace;
let valid: string;

const client = () => new SecretClient({ stage: 'dev', cwd: ws.dir, env: { ...ws.env, STAGE_SECRETS_STORE: STORE } });
const redated = (updated: string) => valid.replace(/"updated":"[^"]+"/, `"updated":"${updated}"`);
const fileTime = () =>
  Date.parse((ws.readStage('dev') as { secrets: { TOKEN: { updated: string } } }).secrets.TOKEN.updated);

beforeAll(async () => {
  s3 = await startS3Server();
  s3.createBucket(BUCKET);
  ws = makeWorkspace('shop');
  Object.assign(ws.env, {
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDFUTURE',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  expect((await ws.run(['init', '--stage', 'dev', '--local'])).code).toBe(0);
  expect((await ws.run(['set', '--stage', 'dev', 'TOKEN'], { input: 'token-file-value-41c7' })).code).toBe(0);
  await client().updateSecret({ key: 'TOKEN', value: 'token-store-value-9e02' });
  valid = s3.getObject(BUCKET, KEY)!.body.toString();
});

afterAll(async () => {
  ws?.cleanup();
  await s3?.close();
});

beforeEach(() => s3.putObject(BUCKET, KEY, valid));

describe('a runtime-store object dated far ahead', () => {
  const farAhead = () => new Date(fileTime() + 365 * 24 * 3600 * 1000).toISOString();

  it('is refused by the client on read and on update, naming the object; the object is left as it is', async () => {
    const ahead = redated(farAhead());
    s3.putObject(BUCKET, KEY, ahead);
    const read = await client()
      .readSecret('TOKEN')
      .catch((e: unknown) => e);
    expect(read).toMatchObject({ name: 'SecretError', code: 'FORMAT', key: 'TOKEN' });
    expect((read as Error).message).toContain(
      `the runtime store's object for TOKEN (s3://${BUCKET}/${KEY}) is dated more than 15 minutes ahead`,
    );
    expect((read as Error).message).not.toMatch(/token-(file|store)-value/);
    const update = await client()
      .updateSecret({ key: 'TOKEN', value: 'token-new-value-77aa' })
      .catch((e: unknown) => e);
    expect(update).toMatchObject({ code: 'FORMAT', key: 'TOKEN' });
    expect(s3.getObject(BUCKET, KEY)!.body.toString()).toBe(ahead);
  });

  it('is refused by pull (exit 2, the stage file unchanged) and by list --store', async () => {
    s3.putObject(BUCKET, KEY, redated(farAhead()));
    const before = ws.snapshot('dev');
    const pull = await ws.run(['pull', '--stage', 'dev', '--store', STORE]);
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain('is dated more than 15 minutes ahead');
    expect(ws.snapshot('dev')).toBe(before);
    const list = await ws.run(['list', '--stage', 'dev', '--store', STORE]);
    expect(list.code).toBe(2);
  });

  it('a date that is no time at all (month 13) fails closed as FORMAT on read and update, not as a crash', async () => {
    s3.putObject(BUCKET, KEY, redated('2026-13-45T00:00:00.000Z'));
    const read = await client()
      .readSecret('TOKEN')
      .catch((e: unknown) => e);
    expect(read).toMatchObject({ name: 'SecretError', code: 'FORMAT' });
    const update = await client()
      .updateSecret({ key: 'TOKEN', value: 'token-new-value-77aa' })
      .catch((e: unknown) => e);
    expect(update).toMatchObject({ name: 'SecretError', code: 'FORMAT' });
    expect((update as Error).message).toContain('is not a valid time');
  });

  it('an object a few minutes ahead (clock skew) is still used', async () => {
    s3.putObject(BUCKET, KEY, redated(new Date(Math.max(Date.now(), fileTime()) + 5 * 60 * 1000).toISOString()));
    expect(await client().readSecret('TOKEN')).toBe('token-store-value-9e02');
  });
});

describe('repeated pulls cannot push the bound forward', () => {
  it('objects each dated 14 minutes past the previous one: the first is pulled, the second refused (the clock bounds, not the file)', async () => {
    const original = ws.snapshot('dev');
    const clock = fileTime(); // the checking machine's clock, injected: the test does not depend on the real one
    const options = { now: () => clock };
    const opts = { stage: 'dev', cwd: ws.dir, env: ws.env };
    const location = parseRuntimeStoreUrl(STORE, 'the test');
    const minutes = (n: number) => new Date(clock + n * 60_000).toISOString();
    try {
      s3.putObject(BUCKET, KEY, redated(minutes(14)));
      const first = await pullStage(opts, location, undefined, options);
      expect(first.updated).toEqual(['TOKEN']);
      expect(fileTime()).toBe(clock + 14 * 60_000);
      const afterFirst = ws.snapshot('dev');

      s3.putObject(BUCKET, KEY, redated(minutes(28)));
      const second = await pullStage(opts, location, undefined, options).catch((e: unknown) => e);
      expect(second).toMatchObject({ code: 'FORMAT' });
      expect((second as Error).message).toContain(
        `the runtime store's object for TOKEN (s3://${BUCKET}/${KEY}) is dated more than 15 minutes ahead of this machine's clock`,
      );
      expect(ws.snapshot('dev')).toBe(afterFirst);
    } finally {
      ws.restore('dev', original);
    }
  });

  it('an update never writes an object that readers would refuse: a stage-file entry dated beyond the bound refuses it', async () => {
    const original = ws.snapshot('dev');
    const ahead = new Date(Date.now() + 60 * 60_000).toISOString(); // an hour ahead of every clock here
    const doc = ws.readStage('dev');
    doc.secrets.TOKEN.updated = ahead;
    ws.writeStage('dev', doc);
    try {
      const update = await client()
        .updateSecret({ key: 'TOKEN', value: 'token-new-value-77aa' })
        .catch((e: unknown) => e);
      expect(update).toMatchObject({ code: 'FORMAT', key: 'TOKEN' });
      expect((update as Error).message).toMatch(
        /stage file's entry for TOKEN is dated more than 15 minutes ahead of this machine's clock/,
      );
    } finally {
      ws.restore('dev', original);
    }
  });
});
