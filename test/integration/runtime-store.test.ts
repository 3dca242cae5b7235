import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_CACHE_TTL_MS, SecretClient, SecretError } from '../../src/client/index.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { type ChildOutcome, startStoreClient } from '../support/store-client.js';

/*
 * The runtime store end to end: the real @aws-sdk/client-s3 against the local S3 server, the built client
 * in separate processes (one per "function instance"), and the built CLI for pull and list.
 */
const BUCKET = 'runtime-secrets';
const STORE = `s3://${BUCKET}/team`;

let s3: S3Server;
let ws: Workspace;
let storeEnv: NodeJS.ProcessEnv;
/** every plaintext value any test wrote, to check that none reaches the store */
const written = new Set<string>();

class FakeClock {
  ms = Date.parse('2030-01-01T00:00:00Z');
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

function client(extra: { now?: () => number; env?: NodeJS.ProcessEnv; store?: string } = {}): SecretClient {
  return new SecretClient({
    stage: 'dev',
    cwd: ws.dir,
    env: extra.env ?? storeEnv,
    store: extra.store,
    now: extra.now,
  });
}

async function cliSet(key: string, value: string, type = 'string', env: NodeJS.ProcessEnv = {}): Promise<void> {
  written.add(value);
  const r = await ws.run(['set', '--stage', 'dev', key, '--type', type], { input: value, env });
  expect(r.code, r.stderr).toBe(0);
}

/** Starts a client process; resolves when it has loaded everything (when `barrier`) or at once. */
function startChild(args: string[], barrier: boolean) {
  return startStoreClient(args, { cwd: ws.dir, env: { ...storeEnv, STAGE: 'dev' }, barrier, killAfterMs: 60_000 });
}

async function runChild(args: string[]): Promise<ChildOutcome> {
  return startChild(args, false).done;
}

function storeTexts(): string[] {
  return s3.keys(BUCKET).map((k) => s3.getObject(BUCKET, k)!.body.toString('utf8'));
}

beforeAll(async () => {
  s3 = await startS3Server();
  s3.createBucket(BUCKET);
  ws = makeWorkspace('shop');
  storeEnv = {
    ...ws.env,
    STAGE_SECRETS_STORE: STORE,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDSTORETEST',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const init = await ws.run(['init', '--stage', 'dev', '--local']);
  expect(init.code, init.stderr).toBe(0);
  await cliSet('API_TOKEN', 'api-token-v1-0b7e');
  await cliSet('RATE', '731946285', 'number');
  await cliSet('COLOR', 'colour-red-1f3a');
});

afterAll(async () => {
  // Nothing in the store is plaintext: no value any test wrote appears in any object. Values are long and
  // distinctive, so a chance match inside base64 or a date cannot fail the check (a 2-digit number once did).
  const texts = storeTexts();
  for (const value of written)
    expect(value.length, `test value ${value} is too short to search for`).toBeGreaterThanOrEqual(9);
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts)
    for (const value of written) expect(text.includes(value), `plaintext ${value} in the store`).toBe(false);
  ws.cleanup();
  await s3.close();
});

beforeEach(() => {
  s3.allowAll();
  s3.resetRequests();
});

describe('runtime store: updates and reads across processes', () => {
  it('a malformed store setting is a SecretError when the client is made, naming where it came from', () => {
    expect(() => client({ store: 'my-bucket/prefix' })).toThrow(SecretError);
    expect(() => client({ store: 'my-bucket/prefix' })).toThrow(/SecretClient\(\{ store \}\)/);
    expect(() => client({ env: { ...storeEnv, STAGE_SECRETS_STORE: 's3://UPPER/x' } })).toThrow(/STAGE_SECRETS_STORE/);
  });

  it("one process's update is seen by another with useCache: false, and not before the TTL with the cache", async () => {
    const clock = new FakeClock();
    const reader = client({ now: clock.now });
    expect(await reader.readSecret('COLOR')).toBe('colour-red-1f3a');

    written.add('colour-green-7c2e');
    const update = await runChild(['update', 'COLOR', 'colour-green-7c2e']);
    expect(update).toMatchObject({ ok: true, used: ['COLOR'] });
    const key = `team/shop/dev/COLOR.json`;
    expect(s3.keys(BUCKET)).toContain(key);
    expect(JSON.parse(s3.getObject(BUCKET, key)!.body.toString())).toMatchObject({ type: 'string' });

    expect(await reader.readSecret('COLOR')).toBe('colour-red-1f3a');
    clock.advance(DEFAULT_CACHE_TTL_MS - 1);
    expect(await reader.readSecret('COLOR')).toBe('colour-red-1f3a');
    expect(await reader.readSecret('COLOR', { useCache: false })).toBe('colour-green-7c2e');

    // a second instance sees it at once, and the repo's file is untouched
    expect(await runChild(['read', 'COLOR'])).toEqual({ ok: true, value: 'colour-green-7c2e' });
    expect(ws.snapshot('dev')).not.toContain('colour-green-7c2e');

    // the cache refreshes after the TTL on its own
    written.add('colour-blue-5d9b');
    expect(await runChild(['update', 'COLOR', 'colour-blue-5d9b'])).toMatchObject({ ok: true });
    expect(await reader.readSecret('COLOR')).toBe('colour-green-7c2e');
    clock.advance(DEFAULT_CACHE_TTL_MS);
    expect(await reader.readSecret('COLOR')).toBe('colour-blue-5d9b');
    expect(reader.getUsedSecrets()).toEqual(['COLOR']);
  });

  it('a later set in the stage file wins over an older store value; the first store write is If-None-Match: *', async () => {
    await cliSet('MODE', 'mode-file-1-aa41');
    const c = client();
    written.add('mode-store-1-cc63');
    await c.updateSecret({ key: 'MODE', value: 'mode-store-1-cc63' });
    expect(await c.readSecret('MODE', { useCache: false })).toBe('mode-store-1-cc63');
    const puts = s3.requests.filter((r) => r.operation === 'PutObject');
    expect(puts.map((r) => [r.ifNoneMatch, r.ifMatch, r.status])).toEqual([['*', undefined, 200]]);
    await cliSet('MODE', 'mode-file-2-bb52');
    expect(await c.readSecret('MODE', { useCache: false })).toBe('mode-file-2-bb52');
    written.add('mode-store-2-dd74');
    await c.updateSecret({ key: 'MODE', value: 'mode-store-2-dd74' });
    expect(s3.requests.filter((r) => r.operation === 'PutObject').at(-1)).toMatchObject({
      ifMatch: expect.stringMatching(/^"[0-9a-f]+"$/),
      status: 200,
    });
    expect(await client().readSecret('MODE')).toBe('mode-store-2-dd74');
    expect(c.getUsedSecrets()).toEqual(['MODE']);
  });

  it('keeps types: a number update reads back as a number in another process', async () => {
    written.add('864209753');
    await client().updateSecret({ key: 'RATE', value: 864209753 });
    expect(await runChild(['read', 'RATE'])).toEqual({ ok: true, value: 864209753 });
  });

  it('20 processes updating one name at once: each lands or rejects clearly, every PUT conditional, the final value one that landed', async () => {
    await cliSet('SHARED', 'shared-start-value');
    const values = Array.from({ length: 20 }, (_, i) => `refreshed-token-${i}-${'x'.repeat(8)}`);
    values.forEach((v) => written.add(v));
    const children = values.map((v) => startChild(['update', 'SHARED', v], true));
    await Promise.all(children.map((c) => c.ready));
    s3.resetRequests();
    for (const c of children) c.go();
    const outcomes = await Promise.all(children.map((c) => c.done));

    const landed = values.filter((_, i) => outcomes[i]!.ok);
    for (const o of outcomes.filter((x) => !x.ok)) {
      expect(o).toMatchObject({ name: 'SecretError', code: 'LOCKED', key: 'SHARED' });
      expect(o.message).toMatch(/being updated concurrently.*nothing of it was written.*Retry/s);
    }
    expect(landed.length).toBeGreaterThan(0);
    const puts = s3.requests.filter((r) => r.operation === 'PutObject');
    expect(puts.every((r) => r.ifNoneMatch === '*' || (r.ifMatch !== undefined && r.ifNoneMatch === undefined))).toBe(
      true,
    );
    expect(puts.filter((r) => r.status === 200)).toHaveLength(landed.length);
    expect(puts.filter((r) => r.status !== 200).every((r) => r.status === 412)).toBe(true);
    expect(puts.filter((r) => r.ifNoneMatch === '*' && r.status === 200)).toHaveLength(1);

    const final = await client().readSecret('SHARED', { useCache: false });
    expect(landed).toContain(final);
  });

  it('only names the stage file has, and approved, can be updated: unknown and pending names reject, nothing written', async () => {
    const c = client();
    const unknown = await c.updateSecret({ key: 'NOT_THERE', value: 'x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(SecretError);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', key: 'NOT_THERE' });
    expect((unknown as Error).message).toMatch(/no secret named NOT_THERE.*stage-secrets set --stage dev NOT_THERE/);

    // a writer without the key adds a name: pending until a key holder approves it
    await cliSet('NEWCOMER', 'pending-value', 'string', { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'no-keys') });
    const pending = await c.updateSecret({ key: 'NEWCOMER', value: 'x' }).catch((e: unknown) => e);
    expect(pending).toMatchObject({ name: 'SecretError', code: 'UNAPPROVED', key: 'NEWCOMER' });
    expect((pending as Error).message).toMatch(/stage-secrets approve --stage dev NEWCOMER/);
    expect(s3.requests.filter((r) => r.operation === 'PutObject')).toEqual([]);
    expect(await ws.run(['approve', '--stage', 'dev', 'NEWCOMER'])).toMatchObject({ code: 0 });
  });

  it('a reference name is not updatable: updateSecret refuses it (READ_ONLY) naming the fix, nothing written; a read never hands out its target', async () => {
    // the key holder turns a name into a reference (issue 35): its value lives in SSM, not in this repo
    const set = await ws.run(['set', '--stage', 'dev', 'SHARED_REF', '--ref', 'ssm:/org/shared/refd-token']);
    expect(set.code, set.stderr).toBe(0);
    // removed whatever happens: the later tests read the whole stage
    onTestFinished(async () => {
      expect(await ws.run(['rm', '--stage', 'dev', 'SHARED_REF'])).toMatchObject({ code: 0 });
    });
    const c = client();
    written.add('would-replace-the-reference');
    const refused = await c
      .updateSecret({ key: 'SHARED_REF', value: 'would-replace-the-reference' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SecretError);
    expect(refused).toMatchObject({ code: 'READ_ONLY', key: 'SHARED_REF' });
    const message = (refused as Error).message;
    expect(message).toMatch(/SHARED_REF in stage dev is a reference/);
    expect(message).toMatch(/stage-secrets set --stage dev SHARED_REF/);
    expect(message).not.toContain('would-replace-the-reference');
    expect(s3.requests.filter((r) => r.operation === 'PutObject')).toEqual([]);
    expect(s3.keys(BUCKET)).not.toContain('team/shop/dev/SHARED_REF.json');
    // another process is refused the same way
    expect(await runChild(['update', 'SHARED_REF', 'would-replace-the-reference'])).toMatchObject({
      ok: false,
      code: 'READ_ONLY',
      key: 'SHARED_REF',
    });

    // an object in the store for it (written before it became a reference, or by someone with write access
    // to the bucket) never stands for it: list does not mark it newer, and reads resolve the reference
    const other = s3.getObject(BUCKET, 'team/shop/dev/COLOR.json')!.body.toString();
    const ahead = new Date(Date.now() + 60_000).toISOString();
    s3.putObject(BUCKET, 'team/shop/dev/SHARED_REF.json', JSON.stringify({ ...JSON.parse(other), updated: ahead }));
    const listed = await ws.run(['list', '--stage', 'dev', '--json', '--store', STORE], { env: storeEnv });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ name: string; storeNewer?: boolean }>;
    expect(rows.find((r) => r.name === 'SHARED_REF')).toMatchObject({ storeNewer: false });

    // a read with the store resolves the reference (here: SSM unreachable), never returning the target as a value
    const closed = await startS3Server();
    const ssmUrl = closed.url;
    await closed.close();
    const read = await client({ env: { ...storeEnv, AWS_ENDPOINT_URL_SSM: ssmUrl, AWS_MAX_ATTEMPTS: '1' } })
      .readSecret('SHARED_REF')
      .catch((e: unknown) => e);
    expect(read).toBeInstanceOf(SecretError);
    expect((read as Error).message).toContain('SHARED_REF -> ssm:/org/shared/refd-token');
  });

  it('a store that denies access: a clear SecretError, the object as it was', async () => {
    const c = client();
    written.add('api-before-deny');
    await c.updateSecret({ key: 'API_TOKEN', value: 'api-before-deny' });
    const before = s3.getObject(BUCKET, 'team/shop/dev/API_TOKEN.json')!.body.toString();

    s3.deny('PutObject');
    written.add('never-lands');
    const denied = await c.updateSecret({ key: 'API_TOKEN', value: 'never-lands' }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ name: 'SecretError', code: 'ACCESS_DENIED', key: 'API_TOKEN' });
    expect((denied as Error).message).toMatch(
      /access denied to the runtime store \(PutObject on s3:\/\/runtime-secrets\/team\/shop\/dev\/API_TOKEN\.json\).*s3:PutObject on arn:aws:s3:::runtime-secrets\/team\/\*/,
    );
    expect((denied as Error).message).not.toContain('never-lands');
    expect(s3.getObject(BUCKET, 'team/shop/dev/API_TOKEN.json')!.body.toString()).toBe(before);

    s3.allowAll();
    s3.deny();
    const read = await client()
      .readSecret('API_TOKEN')
      .catch((e: unknown) => e);
    expect(read).toMatchObject({ name: 'SecretError', code: 'ACCESS_DENIED', key: 'API_TOKEN' });
  });

  it('an unreachable store: a clear SecretError for updates and reads, nothing written', async () => {
    const closed = await startS3Server();
    const url = closed.url;
    await closed.close();
    const env = { ...storeEnv, AWS_ENDPOINT_URL_S3: url, AWS_MAX_ATTEMPTS: '1' };
    const keysBefore = s3.keys(BUCKET);
    const update = await client({ env })
      .updateSecret({ key: 'API_TOKEN', value: 'unreached' })
      .catch((e: unknown) => e);
    expect(update).toMatchObject({ name: 'SecretError', code: 'IO', key: 'API_TOKEN' });
    expect((update as Error).message).toMatch(
      /runtime store s3:\/\/runtime-secrets\/team could not be reached.*ECONNREFUSED.*Nothing was written/,
    );
    const read = await client({ env })
      .readSecret('API_TOKEN')
      .catch((e: unknown) => e);
    expect(read).toMatchObject({ code: 'IO', key: 'API_TOKEN' });
    expect(s3.keys(BUCKET)).toEqual(keysBefore);
  });

  it('a malformed or moved store object fails closed, naming the secret and the object, never its content', async () => {
    s3.putObject(
      BUCKET,
      'team/shop/dev/COLOR.json',
      '{"type":"string","updated":"2099-01-01T00:00:00Z","note":"sneaky-content"}',
    );
    const bad = await client()
      .readSecret('RATE')
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: 'SecretError', code: 'FORMAT' });
    expect((bad as Error).message).toMatch(
      /object for COLOR \(s3:\/\/runtime-secrets\/team\/shop\/dev\/COLOR\.json\) is not a sealed entry/,
    );
    expect((bad as Error).message).not.toContain('sneaky');
    // an update does not build on a foreign object either: it stays as it was
    const malformed = s3.getObject(BUCKET, 'team/shop/dev/COLOR.json')!.body.toString();
    const refused = await client()
      .updateSecret({ key: 'COLOR', value: 'y' })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'FORMAT', key: 'COLOR' });
    expect(s3.getObject(BUCKET, 'team/shop/dev/COLOR.json')!.body.toString()).toBe(malformed);

    // a valid entry of another name copied over COLOR's: it parses, but does not open as COLOR
    const other = s3.getObject(BUCKET, 'team/shop/dev/API_TOKEN.json')!.body.toString();
    const ahead = new Date(Date.now() + 60_000); // newer than the file's COLOR; far-future dates are refused
    const moved = JSON.stringify({ ...JSON.parse(other), updated: ahead.toISOString() });
    s3.putObject(BUCKET, 'team/shop/dev/COLOR.json', moved);
    const wrong = await client()
      .readSecret('COLOR')
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'INTEGRITY' });
    expect((wrong as Error).message).toMatch(/runtime store's value of COLOR .* does not open/);

    // an update replaces a well-formed object whatever it holds, dated after it
    written.add('colour-repaired-ee85');
    await client().updateSecret({ key: 'COLOR', value: 'colour-repaired-ee85' });
    expect(await client().readSecret('COLOR')).toBe('colour-repaired-ee85');
    expect(JSON.parse(s3.getObject(BUCKET, 'team/shop/dev/COLOR.json')!.body.toString()).updated).toBe(
      new Date(ahead.getTime() + 1).toISOString(),
    );
  });
});
