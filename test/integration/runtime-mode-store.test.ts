/**
 * Runtime mode with a runtime store (custom.stageSecrets.store), bundled by serverless-esbuild in
 * serverless v3, packaged as dev (its own stage file) and as the preview stage pr-7 (dev's file through
 * the fallback `pr-* → dev`). dev: the template grants S3 read and write on the stage's store folder only
 * and passes the store to the functions that receive secrets; invoked as Lambda would, against the local
 * KMS and S3 servers, a function updates a secret and reads it back, another cold instance sees it, the
 * store holds no plaintext, a name the function did not receive is refused, and a denied store is a clear
 * SecretError. pr-7: the role may only read dev's folder, its function reads what dev wrote, and its
 * updates are refused (READ_ONLY) before any S3 call.
 */
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kmsEnv } from '../support/kms-server.js';
import type { LambdaRun } from '../support/lambda-invoke.js';
import { expectNoValues, token } from '../support/plugin-package-suite.js';
import {
  answersOf,
  digest,
  filesWithValues,
  kmsStatements,
  packageAgainAs,
  packageRuntimeService,
  roleStatements,
  type RuntimeService,
} from '../support/runtime-mode-suite.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { FRAMEWORKS, runFramework } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
const BUCKET = 'runtime-secrets';
/** dev's store folder: dev's own, and the one the preview stage pr-7 (which uses dev's stage file) reads */
const FOLDER = 'team/runtime-store-svc/dev/';

interface Outcome {
  ok: boolean;
  value?: string | null;
  type?: string;
  env?: string | null;
  used?: string[];
  isSecretError?: boolean;
  code?: string;
  key?: string;
  message?: string;
}

describe(`runtime mode with a runtime store, serverless-esbuild in '${fw.name}' '${fw.version}' (fixtures/sls-runtime-store)`, () => {
  /** packaged as dev */
  let rt: RuntimeService;
  /** the same service packaged as pr-7, on dev's stage file */
  let preview: RuntimeService;
  let s3: S3Server;
  /** every value sealed or written: none may reach the store, a package, a log or a function's answer */
  const values: Record<string, string> = {};

  const outcomes = (run: LambdaRun): Outcome[] => answersOf<Outcome>(run, values);
  const invoke = (steps: unknown[], on: RuntimeService = rt) =>
    on.invoke('rotate', steps, kmsEnv(on.kms, { AWS_ENDPOINT_URL_S3: s3.url }));

  beforeAll(async () => {
    s3 = await startS3Server();
    s3.createBucket(BUCKET);
    Object.assign(values, {
      API_KEY: token('api'),
      RATE: String(randomInt(1_000_000_000, 2_000_000_000)),
      DB_PASSWORD: token('db'),
    });
    rt = await packageRuntimeService(fw, 'sls-runtime-store', {
      stage: 'dev',
      secrets: { ...values },
      modules: ['serverless-esbuild', 'esbuild'],
    });
    preview = await packageAgainAs(fw, rt, 'pr-7');
  });
  afterAll(async () => {
    await preview?.cleanup();
    await rt?.cleanup();
    await s3?.close();
  });
  beforeEach(() => {
    s3.allowAll();
    s3.resetRequests();
    rt.kms.resetCalls();
  });

  it("grants the role S3 read and write on dev's store folder only, next to kms:Decrypt under dev's context", () => {
    expect(roleStatements(rt.template, 's3:')).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${BUCKET}/${FOLDER}*` },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { 's3:prefix': `${FOLDER}*` } },
      },
    ]);
    expect(kmsStatements(rt.template)).toEqual([
      expect.objectContaining({
        Condition: {
          StringEquals: { 'kms:EncryptionContext:app': 'runtime-store-svc', 'kms:EncryptionContext:stage': 'dev' },
        },
      }),
    ]);
    expect(rt.result.output).toContain(
      `may read and update s3://${BUCKET}/${FOLDER} (s3:GetObject, s3:PutObject, s3:ListBucket on that prefix only)`,
    );
    expect(rt.result.output).not.toContain('preview');
  });

  it("preview stage pr-7 on dev's stage file: the role may only read dev's store folder (no s3:PutObject), and the log says why", () => {
    expect(roleStatements(preview.template, 's3:')).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/${FOLDER}*` },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { 's3:prefix': `${FOLDER}*` } },
      },
    ]);
    expect(kmsStatements(preview.template)).toEqual(kmsStatements(rt.template));
    expect(preview.result.output).toContain(
      `may read s3://${BUCKET}/${FOLDER} but not update it (s3:GetObject, s3:ListBucket on that prefix only; no s3:PutObject)`,
    );
    expect(preview.result.output).toContain('stage pr-7 uses the stage file of dev through a preview fallback');
    expect(preview.fns.rotate!.variables).toEqual({ DEPLOY_STAGE: 'pr-7', STAGE_SECRETS_STORE: `s3://${BUCKET}/team` });
    expect(filesWithValues(preview.searched, rt.secrets)).toEqual([]);
    expectNoValues(preview.result.output, rt.secrets);
  });

  it('passes the store to the function with secrets only, as a location; no value anywhere in the packaging or the log', () => {
    expect(rt.fns.rotate!.variables).toEqual({ DEPLOY_STAGE: 'dev', STAGE_SECRETS_STORE: `s3://${BUCKET}/team` });
    expect(rt.fns.plain!.variables).toEqual({ DEPLOY_STAGE: 'dev' });
    expect(rt.fns.plain!.handler).toBe('src/plain.handler');
    expect(filesWithValues(rt.searched, values)).toEqual([]);
    expect(filesWithValues([rt.svc.dir], values)).toEqual([]);
    expectNoValues(rt.result.output, values);
  });

  it('before any update, readSecret gives the packaged value, with one KMS call and one S3 listing per read of the store', async () => {
    const [read] = outcomes(await invoke([{ op: 'read', key: 'API_KEY' }]));
    expect(read).toMatchObject({
      ok: true,
      value: digest(values.API_KEY!),
      env: digest(values.API_KEY!),
      used: ['API_KEY'],
    });
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expect(s3.requests.map((r) => [r.operation, r.status])).toEqual([['ListObjectsV2', 200]]);
    expect(s3.requests[0]!.bucket).toBe(BUCKET);
  });

  it('a function updates a secret and reads it back; process.env keeps the cold-start value; the store holds it sealed', async () => {
    values.API_KEY_NEW = token('api-new');
    const [update, cached, fresh, rate] = outcomes(
      await invoke([
        { op: 'update', key: 'API_KEY', value: values.API_KEY_NEW },
        { op: 'read', key: 'API_KEY' },
        { op: 'read', key: 'API_KEY', useCache: false },
        { op: 'update', key: 'RATE', value: 42 },
      ]),
    );
    const newDigest = digest(values.API_KEY_NEW);
    expect(update).toMatchObject({ ok: true, value: newDigest, env: digest(values.API_KEY!), used: ['API_KEY'] });
    expect(cached).toMatchObject({ ok: true, value: newDigest });
    expect(fresh).toMatchObject({ ok: true, value: newDigest, env: digest(values.API_KEY!) });
    expect(rate).toMatchObject({ ok: true, value: digest('42'), type: 'number', used: ['API_KEY', 'RATE'] });
    // the store's entries were opened with the key the wrapper unwrapped: still one KMS call
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expect(s3.keys(BUCKET)).toEqual([`${FOLDER}API_KEY.json`, `${FOLDER}RATE.json`]);
    const stored = JSON.parse(s3.getObject(BUCKET, `${FOLDER}API_KEY.json`)!.body.toString('utf8')) as Record<
      string,
      string
    >;
    expect(Object.keys(stored)).toEqual(['type', 'updated', 'sealedTo', 'epk', 'nonce', 'ct', 'tag']);
    expect(s3.requests.filter((r) => r.operation === 'PutObject').map((r) => r.ifNoneMatch)).toEqual(['*', '*']);
  });

  it('a second cold instance sees the new values through readSecret (its environment has the packaged ones)', async () => {
    const [api, rate] = outcomes(
      await invoke([
        { op: 'read', key: 'API_KEY' },
        { op: 'read', key: 'RATE' },
      ]),
    );
    expect(api).toMatchObject({ ok: true, value: digest(values.API_KEY_NEW), env: digest(values.API_KEY!) });
    expect(rate).toMatchObject({ ok: true, value: digest('42'), type: 'number', env: digest(values.RATE!) });
    expect(rt.kms.calls('Decrypt')).toBe(1);
  });

  it('a further update replaces the stored one with If-Match on the ETag read', async () => {
    values.API_KEY_THIRD = token('api-third');
    const before = s3.getObject(BUCKET, `${FOLDER}API_KEY.json`)!.etag;
    const [update] = outcomes(await invoke([{ op: 'update', key: 'API_KEY', value: values.API_KEY_THIRD }]));
    expect(update).toMatchObject({ ok: true, value: digest(values.API_KEY_THIRD) });
    expect(s3.requests.filter((r) => r.operation === 'PutObject').map((r) => r.ifMatch)).toEqual([before]);
  });

  it("the preview function's readSecret sees the values dev's function wrote to the store", async () => {
    const [api, rate] = outcomes(
      await invoke(
        [
          { op: 'read', key: 'API_KEY' },
          { op: 'read', key: 'RATE' },
        ],
        preview,
      ),
    );
    expect(api).toMatchObject({ ok: true, value: digest(values.API_KEY_THIRD!), env: digest(values.API_KEY!) });
    expect(rate).toMatchObject({ ok: true, value: digest('42'), type: 'number' });
  });

  it("the preview function's updateSecret is READ_ONLY before any S3 call, naming the fallback and the fix; nothing is written", async () => {
    const before = s3.keys(BUCKET).map((key) => [key, s3.getObject(BUCKET, key)!.etag]);
    values.API_KEY_PREVIEW = token('api-preview');
    const [refused] = outcomes(
      await invoke([{ op: 'update', key: 'API_KEY', value: values.API_KEY_PREVIEW }], preview),
    );
    expect(refused).toMatchObject({ ok: false, isSecretError: true, code: 'READ_ONLY', key: 'API_KEY' });
    expect(refused!.message).toContain(
      "stage pr-7 uses stage dev's secrets through a preview fallback and may read but not update them",
    );
    expect(refused!.message).toContain('stage-secrets init --stage pr-7');
    expect(refused!.message).toContain('update API_KEY from a deployment of stage dev');
    // the S3 server grants everything here, as a role with s3:PutObject added by hand would
    expect(s3.requests).toEqual([]);
    expect(s3.keys(BUCKET).map((key) => [key, s3.getObject(BUCKET, key)!.etag])).toEqual(before);
  });

  it('updating a name the function did not receive is refused, naming it and the fix; nothing is written', async () => {
    const [refused, read] = outcomes(
      await invoke([
        { op: 'update', key: 'DB_PASSWORD', value: 'other' },
        { op: 'read', key: 'DB_PASSWORD' },
      ]),
    );
    expect(refused).toMatchObject({ ok: false, isSecretError: true, code: 'NOT_FOUND', key: 'DB_PASSWORD' });
    expect(refused!.message).toContain('function rotate did not receive it');
    expect(refused!.message).toContain("Add DB_PASSWORD to the function's secrets list");
    expect(read).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(s3.requests.filter((r) => r.operation === 'PutObject')).toEqual([]);
    expect(s3.keys(BUCKET)).not.toContain(`${FOLDER}DB_PASSWORD.json`);
  });

  it('a denied store is a SecretError naming the S3 permissions, for updates and reads; no value in it', async () => {
    s3.deny();
    const [update, read] = outcomes(
      await invoke([
        { op: 'update', key: 'API_KEY', value: 'denied-value' },
        { op: 'read', key: 'API_KEY' },
      ]),
    );
    for (const outcome of [update, read]) {
      expect(outcome).toMatchObject({ ok: false, isSecretError: true, code: 'ACCESS_DENIED', key: 'API_KEY' });
      expect(outcome!.message).toContain('access denied to the runtime store');
      expect(outcome!.message).toContain(`s3:GetObject and s3:PutObject on arn:aws:s3:::${BUCKET}/team/*`);
    }
  });

  it("an object moved from another name's key does not open: INTEGRITY naming the secret and the object", async () => {
    const moved = s3
      .getObject(BUCKET, `${FOLDER}API_KEY.json`)!
      .body.toString('utf8')
      .replace('"type":"string"', '"type":"number"');
    const rateBefore = s3.getObject(BUCKET, `${FOLDER}RATE.json`)!.body;
    s3.putObject(
      BUCKET,
      `${FOLDER}RATE.json`,
      moved.replace(
        /"updated":"[^"]*"/,
        `"updated":"${new Date(Date.now() + 60_000).toISOString()}"`,
      ) /* just ahead: far-future dates are refused */,
    );
    try {
      const [read] = outcomes(await invoke([{ op: 'read', key: 'RATE' }]));
      expect(read).toMatchObject({ ok: false, isSecretError: true, code: 'INTEGRITY', key: 'RATE' });
      expect(read!.message).toContain(
        `the runtime store's value of RATE (s3://${BUCKET}/${FOLDER}RATE.json) does not open`,
      );
    } finally {
      s3.putObject(BUCKET, `${FOLDER}RATE.json`, rateBefore);
    }
  });

  it('the store holds no plaintext of any value written', () => {
    expect(s3.keys(BUCKET).length).toBeGreaterThan(0);
    for (const key of s3.keys(BUCKET)) {
      const text = s3.getObject(BUCKET, key)!.body.toString('utf8');
      for (const [name, value] of Object.entries(values)) expect(text.includes(value), `${name} in ${key}`).toBe(false);
    }
  });

  it('a function without secrets gets no store and runs unwrapped', async () => {
    const run = await rt.invoke('plain', [{}], kmsEnv(rt.kms, { AWS_ENDPOINT_URL_S3: s3.url }));
    expect(run.invocations[0]!.value).toEqual({ store: null });
    expect(rt.kms.calls()).toBe(0);
    expect(s3.requests).toEqual([]);
  });

  it('env mode with a store is refused before anything is packaged, saying the store needs mode: runtime', async () => {
    const file = path.join(rt.svc.dir, 'serverless.yml');
    const yml = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, yml.replace('mode: runtime', 'mode: env'));
    try {
      fs.rmSync(path.join(rt.svc.dir, '.serverless'), { recursive: true, force: true });
      const result = await runFramework(fw, ['package', '--stage', 'pr-7'], rt.svc.dir, rt.svc.env);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(
        'custom.stageSecrets.store is set, but the runtime store works only with mode: runtime',
      );
      expectNoValues(result.output, values);
      expect(fs.existsSync(path.join(rt.svc.dir, '.serverless', 'runtime-store-svc.zip'))).toBe(false);
    } finally {
      fs.writeFileSync(file, yml);
    }
  });

  it('a store prefix with an IAM wildcard is refused before any file is written: the grant would reach other objects', async () => {
    const file = path.join(rt.svc.dir, 'serverless.yml');
    const yml = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, yml.replace('store: s3://runtime-secrets/team', 'store: s3://runtime-secrets/te*m'));
    try {
      const result = await runFramework(fw, ['package', '--stage', 'pr-7'], rt.svc.dir, rt.svc.env);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('holds "*", which IAM reads as a wildcard or variable');
      expect(fs.existsSync(path.join(rt.svc.dir, '.stage-secrets-runtime'))).toBe(false);
      expectNoValues(result.output, values);
    } finally {
      fs.writeFileSync(file, yml);
    }
  });
});
