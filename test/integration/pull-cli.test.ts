import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretClient } from '../../src/client/index.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { readStageFiles } from '../support/stage-files.js';

/* `pull` and `list` with a runtime store: the built CLI as a process, the store behind the real SDK. */
const BUCKET = 'ci-store';
const STORE = `s3://${BUCKET}/rt`;
const FOLDER = 'rt/shop/dev/';

let s3: S3Server;
let ws: Workspace;
/** AWS settings only: commands take the store from --store or from STAGE_SECRETS_STORE per test */
let awsEnv: NodeJS.ProcessEnv;

async function set(key: string, value: string): Promise<void> {
  const r = await ws.run(['set', '--stage', 'dev', key], { input: value });
  expect(r.code, r.stderr).toBe(0);
}

async function storeUpdate(key: string, value: string): Promise<void> {
  await new SecretClient({ stage: 'dev', cwd: ws.dir, env: { ...awsEnv, STAGE_SECRETS_STORE: STORE } }).updateSecret({
    key,
    value,
  });
}

async function exported(): Promise<Record<string, string>> {
  const r = await ws.run(['export', '--stage', 'dev', '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

beforeAll(async () => {
  s3 = await startS3Server();
  s3.createBucket(BUCKET);
  ws = makeWorkspace('shop');
  awsEnv = {
    ...ws.env,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDPULLTEST',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(ws.env, awsEnv);
  expect((await ws.run(['init', '--stage', 'dev', '--local'])).code).toBe(0);
  await set('OAUTH_TOKEN', 'oauth-file-1');
  await set('DB_URL', 'db-file-1');
  await set('FLAG', 'flag-file-1');
  await storeUpdate('OAUTH_TOKEN', 'oauth-runtime-2'); // store newer
  await storeUpdate('DB_URL', 'db-runtime-2');
  await set('DB_URL', 'db-file-3'); // file newer again
});

afterAll(async () => {
  ws.cleanup();
  await s3.close();
});

beforeEach(() => s3.allowAll());

describe('list with a runtime store', () => {
  it('marks names whose store value is newer, in text and JSON; without a store nothing changes', async () => {
    const text = await ws.run(['list', '--stage', 'dev'], { env: { STAGE_SECRETS_STORE: STORE } });
    expect(text.code, text.stderr).toBe(0);
    const rows = new Map(
      text.stdout
        .trim()
        .split('\n')
        .map((l) => [l.split(/\s+/)[0]!, l]),
    );
    expect(rows.get('NAME')).toMatch(/APPROVAL {13}STORE$/);
    expect(rows.get('OAUTH_TOKEN')).toMatch(/ approved\s+newer$/);
    expect(rows.get('DB_URL')).toMatch(/ approved\s+-$/);
    expect(rows.get('FLAG')).toMatch(/ approved\s+-$/);
    expect(text.stderr).toContain(
      `newer in the runtime store ${STORE}: OAUTH_TOKEN; fold them into the stage file with: npx --no-install stage-secrets pull --stage dev`,
    );

    const json = await ws.run(['list', '--stage', 'dev', '--json', '--store', STORE]);
    const items = JSON.parse(json.stdout) as Array<{ name: string; storeNewer?: boolean }>;
    expect(Object.fromEntries(items.map((i) => [i.name, i.storeNewer]))).toEqual({
      DB_URL: false,
      FLAG: false,
      OAUTH_TOKEN: true,
    });

    const plain = await ws.run(['list', '--stage', 'dev', '--json']);
    expect((JSON.parse(plain.stdout) as object[]).every((i) => !('storeNewer' in i))).toBe(true);
    expect(s3.requests.length).toBeGreaterThan(0);
  });
});

describe('pull', () => {
  it('needs a store, and says how to give one', async () => {
    const r = await ws.run(['pull', '--stage', 'dev']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'pull needs a runtime store: pass --store s3://BUCKET/PREFIX, ssm://PATH or secretsmanager://PREFIX or set STAGE_SECRETS_STORE',
    );
    const bad = await ws.run(['pull', '--stage', 'dev', '--store', 'https://example.invalid/x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /not an s3:\/\/, ssm:\/\/ or secretsmanager:\/\/ URL; give it as s3:\/\/BUCKET\/PREFIX, ssm:\/\/PATH or secretsmanager:\/\/PREFIX \(--store\)/,
    );
  });

  it('refuses a denied store (exit 3) and a malformed store object (exit 2), the stage file untouched', async () => {
    const before = ws.snapshot('dev');
    s3.deny('ListObjectsV2');
    const denied = await ws.run(['pull', '--stage', 'dev', '--store', STORE]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(
      /access denied to the runtime store \(ListObjectsV2 on s3:\/\/ci-store\/rt\).*s3:ListBucket on arn:aws:s3:::ci-store/,
    );
    s3.allowAll();

    const good = s3.getObject(BUCKET, `${FOLDER}FLAG.json`);
    s3.putObject(BUCKET, `${FOLDER}FLAG.json`, 'not json at all');
    const malformed = await ws.run(['pull', '--stage', 'dev', '--store', STORE]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      `the runtime store's object for FLAG (s3://ci-store/${FOLDER}FLAG.json) is not JSON`,
    );
    expect(good).toBeUndefined();
    // dated just ahead, so newer than the file's FLAG (far-future dates are refused)
    const ahead = new Date(Date.now() + 60_000).toISOString();
    s3.putObject(
      BUCKET,
      `${FOLDER}FLAG.json`,
      s3
        .getObject(BUCKET, `${FOLDER}OAUTH_TOKEN.json`)!
        .body.toString()
        .replace(/"updated":"[^"]+"/, `"updated":"${ahead}"`),
    );
    // well-formed, but sealed for OAUTH_TOKEN: with the key at hand pull opens it and refuses
    const moved = await ws.run(['pull', '--stage', 'dev', '--store', STORE]);
    expect(moved.code).toBe(2);
    expect(moved.stderr).toMatch(/runtime store's value of FLAG does not open .*Nothing was pulled/);
    expect(ws.snapshot('dev')).toBe(before);
    s3.putObject(
      BUCKET,
      `${FOLDER}FLAG.json`,
      '{"type":"string","updated":"2000-01-01T00:00:00.000Z","epk":"","nonce":"","ct":"","tag":""}',
    );
    const stale = await ws.run(['pull', '--stage', 'dev', '--store', STORE]);
    expect(stale.code).toBe(2); // even an older object must be a valid entry: the store fails closed
  });

  it('folds newer store values into the stage file: names reported, approval kept, other entries byte-identical', async () => {
    // a valid, older FLAG in the store (left over from the last test: replace it)
    s3.putObject(BUCKET, `${FOLDER}FLAG.json`, s3.getObject(BUCKET, `${FOLDER}DB_URL.json`)!.body.toString());
    await storeUpdate('FLAG', 'flag-runtime-2');
    s3.putObject(BUCKET, `${FOLDER}UNKNOWN_NAME.json`, s3.getObject(BUCKET, `${FOLDER}FLAG.json`)!.body.toString());
    const secretsDir = path.join(ws.dir, 'secrets');
    const beforeText = ws.snapshot('dev');
    const before = readStageFiles(secretsDir, 'dev');

    const r = await ws.run(['pull', '--stage', 'dev'], { env: { STAGE_SECRETS_STORE: STORE } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('2 secrets updated: FLAG, OAUTH_TOKEN');
    expect(r.stderr).toContain('ignored store values of names stage dev does not have: UNKNOWN_NAME');
    expect(r.stdout + r.stderr).not.toMatch(/runtime-2|file-1|file-3/);

    const afterText = ws.snapshot('dev');
    const after = readStageFiles(secretsDir, 'dev');
    expect(Object.keys(after)).toEqual(Object.keys(before));
    const sealedTo = JSON.parse(before['dev/DB_URL.json']!).sealedTo as string;
    for (const name of ['FLAG', 'OAUTH_TOKEN']) {
      const stored = JSON.parse(s3.getObject(BUCKET, `${FOLDER}${name}.json`)!.body.toString()) as Record<
        string,
        string
      >;
      // the store object names the key it was sealed to; the entry file takes it, and the file's approval
      expect(stored.sealedTo).toBe(sealedTo);
      const entry = JSON.parse(after[`dev/${name}.json`]!) as Record<string, string>;
      const old = JSON.parse(before[`dev/${name}.json`]!) as Record<string, string>;
      expect(entry).toEqual({ ...stored, approved: old.approved });
    }
    // the header and the other entry file byte for byte as they were
    const { 'dev/FLAG.json': _f1, 'dev/OAUTH_TOKEN.json': _o1, ...untouchedAfter } = after;
    const { 'dev/FLAG.json': _f2, 'dev/OAUTH_TOKEN.json': _o2, ...untouchedBefore } = before;
    expect(untouchedAfter).toEqual(untouchedBefore);
    expect(afterText).not.toBe(beforeText);
    // approvals kept: the build opens the stage (it refuses pending names)
    expect(await exported()).toEqual({ DB_URL: 'db-file-3', FLAG: 'flag-runtime-2', OAUTH_TOKEN: 'oauth-runtime-2' });

    const again = await ws.run(['pull', '--stage', 'dev', '--store', STORE, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ store: STORE, updated: [], ignored: ['UNKNOWN_NAME'], opened: false });
    expect(ws.snapshot('dev')).toBe(afterText);
    const list = await ws.run(['list', '--stage', 'dev', '--json', '--store', STORE]);
    expect((JSON.parse(list.stdout) as Array<{ storeNewer: boolean }>).some((i) => i.storeNewer)).toBe(false);
  });

  it('without a key checks only the form of what it pulls, says so, and verify then catches a moved value', async () => {
    const noKey = { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'no-keys') };
    const ahead = new Date(Date.now() + 60_000).toISOString();
    s3.putObject(
      BUCKET,
      `${FOLDER}DB_URL.json`,
      s3
        .getObject(BUCKET, `${FOLDER}FLAG.json`)!
        .body.toString()
        .replace(/"updated":"[^"]+"/, `"updated":"${ahead}"`),
    );
    const r = await ws.run(['pull', '--stage', 'dev', '--store', STORE], { env: noKey });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('1 secret updated: DB_URL');
    expect(r.stderr).toContain(
      'no key here: checked the form of the pulled entries, not their values (verify opens them).',
    );
    const verify = await ws.run(['verify', '--stage', 'dev']);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toContain('integrity check failed: DB_URL');
  });

  it("takes a store value only as sealed to the stage's key: one naming none needs the key, one from before a rotate is refused", async () => {
    // the last test left a moved value in the file and the store: a good one in the store, pulled
    await storeUpdate('DB_URL', 'db-runtime-4');
    expect((await ws.run(['pull', '--stage', 'dev', '--store', STORE])).code).toBe(0);
    expect((await ws.run(['verify', '--stage', 'dev'])).code).toBe(0);
    const secretsDir = path.join(ws.dir, 'secrets');
    const own = JSON.parse(readStageFiles(secretsDir, 'dev')['dev/DB_URL.json']!).sealedTo as string;
    const noKey = { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'no-keys') };
    const ahead = (text: string, ms: number) =>
      text.replace(/"updated":"[^"]+"/, `"updated":"${new Date(Date.now() + ms).toISOString()}"`);

    // an object as an older stage-secrets wrote it: no sealedTo
    await storeUpdate('OAUTH_TOKEN', 'oauth-runtime-3');
    const object = s3.getObject(BUCKET, `${FOLDER}OAUTH_TOKEN.json`)!.body.toString();
    expect(JSON.parse(object).sealedTo).toBe(own);
    s3.putObject(BUCKET, `${FOLDER}OAUTH_TOKEN.json`, ahead(object.replace(/"sealedTo":"[0-9a-f]+",/, ''), 60_000));
    const before = ws.snapshot('dev');
    const keyless = await ws.run(['pull', '--stage', 'dev', '--store', STORE], { env: noKey });
    expect(keyless.code, keyless.stderr).toBe(3);
    expect(keyless.stderr).toMatch(/value of OAUTH_TOKEN does not say which key it was sealed to .*Nothing was pulled/);
    expect(ws.snapshot('dev')).toBe(before);
    const keyed = await ws.run(['pull', '--stage', 'dev', '--store', STORE]);
    expect(keyed.code, keyed.stderr).toBe(0);
    expect(keyed.stdout.trim()).toBe('1 secret updated: OAUTH_TOKEN'); // opened with the key: it is the stage's
    expect(JSON.parse(readStageFiles(secretsDir, 'dev')['dev/OAUTH_TOKEN.json']!).sealedTo).toBe(own);

    // stored, then the stage rotated: the object is sealed to the retired key
    await storeUpdate('FLAG', 'flag-runtime-3');
    const rotate = await ws.run(['rotate', '--stage', 'dev']);
    expect(rotate.code, rotate.stderr).toBe(0);
    const flag = s3.getObject(BUCKET, `${FOLDER}FLAG.json`)!.body.toString();
    s3.putObject(BUCKET, `${FOLDER}FLAG.json`, ahead(flag, 120_000));
    const rotated = ws.snapshot('dev');
    for (const env of [{}, noKey]) {
      const r = await ws.run(['pull', '--stage', 'dev', '--store', STORE], { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /value of FLAG is sealed to another key than stage dev's .*before the stage was rotated/,
      );
      expect(ws.snapshot('dev')).toBe(rotated);
    }
  });
});
