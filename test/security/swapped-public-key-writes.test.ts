/**
 * A hostile branch replaces `publicKey` (or the whole identity block) in the stage file, then asks a
 * maintainer to "please set STRIPE_KEY on this branch". The maintainer's key is at hand: it unwraps to a
 * private key whose public key is not the file's (or it is no identity of the file at all). A writer
 * that ignored this would seal the value to the attacker's key. Every writing command must refuse
 * instead (exit 2), naming the problem and the fix, and leave the file's bytes as they were, so the
 * attacker's private key opens nothing new. Writers without any key still write (write-only for people).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretClient } from '../../src/client/index.js';
import { generateStageKeyPair, Opener } from '../../src/core/crypto.js';
import { unwrapStageKey } from '../../src/stages/open-file.js';
import { valueAad } from '../../src/stages/sealing.js';
import { makeWorkspace, readOnlyLocalKey, type CliResult, type Workspace } from '../support/cli.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { parseStageText } from '../../src/stages/stage-text.js';

const BUCKET = 'swap-store';
const STORE = `s3://${BUCKET}/rt`;
const VALUE = 'sk_live_maintainer_value_5f1d';
const MISMATCH = /does not match secrets\/prod\.json/;
const FIX = /git log -p -- secrets\/prod\.json.*git checkout origin\/main -- secrets\/prod\.json/s;

let s3: S3Server;
let ws: Workspace;
let awsEnv: NodeJS.ProcessEnv;
let good: string;

const stageFile = () => ws.stageFile('prod');

/** The maintainer's writing commands, run on the hostile branch with `env`. */
function writers(env: NodeJS.ProcessEnv): Array<[string, () => Promise<CliResult>]> {
  const envFile = path.join(ws.dir, 'new.env');
  fs.writeFileSync(envFile, `STRIPE_KEY=${VALUE}\n`);
  const run = (args: string[], input?: string) => ws.run(args, { env, input });
  return [
    ['set (a new name)', () => run(['set', '--stage', 'prod', 'STRIPE_KEY'], VALUE)],
    ['set (an approved name)', () => run(['set', '--stage', 'prod', 'APPROVED_TOKEN'], VALUE)],
    ['import', () => run(['import', '--stage', 'prod', envFile])],
    ['pull', () => run(['pull', '--stage', 'prod', '--store', STORE])],
    ['approve', () => run(['approve', '--stage', 'prod'])],
    ['rm', () => run(['rm', '--stage', 'prod', 'APPROVED_TOKEN'])],
  ];
}

/** Runs every writer one after the other and checks what each must hold. */
async function expectEveryWriterRefuses(
  hostile: string,
  env: NodeJS.ProcessEnv,
  attackerKey: Buffer,
  attackerPublic: Buffer,
  problem = MISMATCH,
) {
  fs.writeFileSync(stageFile(), hostile);
  for (const [label, run] of writers(env)) {
    const r = await run();
    expect(r.code, `${label}: ${r.stderr}`).toBe(2);
    expect(r.stderr, label).toMatch(problem);
    expect(r.stderr, label).toMatch(FIX);
    expect(r.stderr + r.stdout, label).not.toContain(VALUE);
    expect(fs.readFileSync(stageFile(), 'utf8'), `${label} changed the stage file`).toBe(hostile);
    expect(
      fs.readdirSync(path.dirname(stageFile())).filter((n) => n.startsWith('.')),
      `${label} left files`,
    ).toEqual([]);
  }
  const file = parseStageText(fs.readFileSync(stageFile(), 'utf8'), 'prod.json');
  const opener = new Opener(attackerKey, attackerPublic);
  for (const [name, entry] of Object.entries(file.secrets)) {
    expect(opener.open(valueAad(file, name, entry.type), entry), `the attacker opens ${name}`).toBeUndefined();
  }
}

beforeAll(async () => {
  s3 = await startS3Server();
  s3.createBucket(BUCKET);
  ws = makeWorkspace('shop');
  awsEnv = {
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDSWAPTEST',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  expect((await ws.run(['init', '--stage', 'prod', '--local'])).code).toBe(0);
  expect((await ws.run(['set', '--stage', 'prod', 'APPROVED_TOKEN'], { input: 'approved-old-value' })).code).toBe(0);
  // a name a keyless writer added: pending, so approve has something to approve
  const keyless = { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'empty-config') };
  expect(
    (await ws.run(['set', '--stage', 'prod', 'PENDING_NAME'], { input: 'pending-value', env: keyless })).code,
  ).toBe(0);
  // a runtime update newer than the file, so pull has something to write
  await new SecretClient({
    stage: 'prod',
    cwd: ws.dir,
    env: { ...ws.env, ...awsEnv, STAGE_SECRETS_STORE: STORE },
  }).updateSecret({
    key: 'APPROVED_TOKEN',
    value: 'approved-runtime-value',
  });
  good = fs.readFileSync(stageFile(), 'utf8');
});

afterAll(async () => {
  fs.writeFileSync(stageFile(), good);
  ws?.cleanup();
  await s3?.close();
});

describe('a swapped publicKey, with the maintainer key at hand', () => {
  const attacker = generateStageKeyPair();
  const swapped = () => good.replace(/"publicKey": "[^"]+"/, `"publicKey": "${attacker.publicKey.toString('base64')}"`);

  it('key in the key folder: set, import, pull, approve and rm refuse (exit 2), the file is unchanged', async () => {
    expect(swapped()).not.toBe(good);
    await expectEveryWriterRefuses(swapped(), awsEnv, attacker.privateKey, attacker.publicKey);
  });

  it('key in STAGE_SECRETS_KEY_PROD only (as in CI): every writer refuses the same way', async () => {
    const ciEnv = {
      ...awsEnv,
      XDG_CONFIG_HOME: path.join(ws.dir, '..', 'ci-config'),
      STAGE_SECRETS_KEY_PROD: readOnlyLocalKey(ws),
    };
    await expectEveryWriterRefuses(swapped(), ciEnv, attacker.privateKey, attacker.publicKey);
  });

  it('a writer without any key still adds the value (write-only for people; the residual risk)', async () => {
    fs.writeFileSync(stageFile(), swapped());
    try {
      const r = await ws.run(['set', '--stage', 'prod', 'KEYLESS_ADD'], {
        input: 'keyless',
        env: { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'none') },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/pending approval: KEYLESS_ADD/);
    } finally {
      fs.writeFileSync(stageFile(), good);
    }
  });
});

describe("a swapped identity block (the attacker's own publicKey and local identity)", () => {
  it('the maintainer key in STAGE_SECRETS_KEY_PROD is no identity of the file: every writer refuses', async () => {
    const attackerWs = makeWorkspace('shop');
    try {
      expect((await attackerWs.run(['init', '--stage', 'prod', '--local'])).code).toBe(0);
      const theirs = attackerWs.readStage('prod');
      const hostile = JSON.parse(good);
      hostile.publicKey = theirs.publicKey;
      hostile.identities = theirs.identities;
      const text = JSON.stringify(hostile, null, 2);
      const key = await unwrapStageKey(parseStageText(text, 'prod.json'), attackerWs.env);
      const ciEnv = {
        ...awsEnv,
        XDG_CONFIG_HOME: path.join(ws.dir, '..', 'ci-config'),
        STAGE_SECRETS_KEY_PROD: readOnlyLocalKey(ws),
      };
      await expectEveryWriterRefuses(
        text,
        ciEnv,
        key.privateKey,
        Buffer.from(theirs.publicKey, 'base64'),
        /STAGE_SECRETS_KEY_PROD holds local key local:[0-9a-f]{16}, which is no identity of secrets\/prod\.json/,
      );
    } finally {
      fs.writeFileSync(stageFile(), good);
      attackerWs.cleanup();
    }
  });
});

describe('a swapped publicKey on a KMS stage, with AWS credentials at hand', () => {
  let kms: KmsServer;
  let kws: Workspace;
  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/prod' });
    kws = makeWorkspace('kms-shop');
    expect((await kws.run(['init', '--stage', 'prod', '--kms', 'alias/prod'], { env: kmsEnv(kms) })).code).toBe(0);
    expect(
      (await kws.run(['set', '--stage', 'prod', 'APPROVED_TOKEN'], { input: 'kms-old', env: kmsEnv(kms) })).code,
    ).toBe(0);
  });
  afterAll(async () => {
    kws?.cleanup();
    await kms?.close();
  });

  it('KMS unwraps a key that does not match: set and rm refuse (exit 2), the file is unchanged', async () => {
    const attacker = generateStageKeyPair();
    const before = kws.snapshot('prod');
    const hostile = before.replace(/"publicKey": "[^"]+"/, `"publicKey": "${attacker.publicKey.toString('base64')}"`);
    kws.restore('prod', hostile);
    for (const args of [
      ['set', '--stage', 'prod', 'STRIPE_KEY'],
      ['set', '--stage', 'prod', 'APPROVED_TOKEN'],
      ['rm', '--stage', 'prod', 'APPROVED_TOKEN'],
    ]) {
      const r = await kws.run(args, { input: VALUE, env: kmsEnv(kms) });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/aws-kms:alias\/prod unwraps a key that does not match secrets\/prod\.json/);
      expect(kws.snapshot('prod')).toBe(hostile);
    }
  });
});
