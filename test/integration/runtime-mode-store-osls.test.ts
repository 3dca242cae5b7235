/**
 * The runtime store in osls with the framework's own packager: stage-secrets is installed from its
 * packed tarball as a dependency of the service, so the framework packages it (its client, and what that
 * imports) while the AWS SDK stays out and comes from the Lambda runtime's NODE_PATH. Invoked as Lambda
 * would, against the local KMS and S3 servers: a function updates a secret and reads it back, and a
 * second cold instance sees it through readSecret.
 */
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kmsEnv } from '../support/kms-server.js';
import type { LambdaRun } from '../support/lambda-invoke.js';
import { expectNoValues, token } from '../support/plugin-package-suite.js';
import {
  answersOf,
  digest,
  filesWithValues,
  packageRuntimeService,
  type RuntimeService,
} from '../support/runtime-mode-suite.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { FRAMEWORKS, installPackedPackage, packThisPackage } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'osls')!;
const BUCKET = 'runtime-secrets';
const FOLDER = 'team/runtime-store-dep-svc/dev/';

interface Outcome {
  ok: boolean;
  value?: string | null;
  type?: string;
  env?: string | null;
  code?: string;
  message?: string;
}

describe(`runtime store in '${fw.name}' '${fw.version}', the framework's packager, stage-secrets a dependency (fixtures/sls-runtime-store-dep)`, () => {
  let rt: RuntimeService;
  let s3: S3Server;
  let packDir: string;
  const values: Record<string, string> = {};

  const outcomes = (run: LambdaRun): Outcome[] => answersOf<Outcome>(run, values);
  const invoke = (steps: unknown[]) => rt.invoke('rotate', steps, kmsEnv(rt.kms, { AWS_ENDPOINT_URL_S3: s3.url }));

  beforeAll(async () => {
    s3 = await startS3Server();
    s3.createBucket(BUCKET);
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-pack-'));
    const tarball = await packThisPackage(packDir);
    Object.assign(values, { API_KEY: token('api'), RATE: String(randomInt(1_000_000_000, 2_000_000_000)) });
    rt = await packageRuntimeService(fw, 'sls-runtime-store-dep', {
      stage: 'dev',
      secrets: { ...values },
      install: installPackedPackage(tarball),
    });
  }, 180_000);
  afterAll(async () => {
    await rt?.cleanup();
    await s3?.close();
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    s3.resetRequests();
    rt.kms.resetCalls();
  });

  it('packages stage-secrets as a dependency with its client and what it imports, without the AWS SDK; no value anywhere', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(rt.svc.dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['stage-secrets']);
    const root = rt.fns.rotate!.taskRoot;
    expect(rt.fns.rotate!.handler).toBe('.stage-secrets-runtime/rotate/wrapper.handler');
    for (const file of [
      'node_modules/stage-secrets/package.json',
      'node_modules/stage-secrets/dist/src/client/index.js',
      'node_modules/zod/package.json',
    ]) {
      expect(fs.existsSync(path.join(root, file)), file).toBe(true);
    }
    expect(fs.existsSync(path.join(root, 'node_modules/@aws-sdk'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'node_modules/@smithy'))).toBe(false);
    expect(rt.fns.rotate!.variables).toEqual({ DEPLOY_STAGE: 'dev', STAGE_SECRETS_STORE: `s3://${BUCKET}/team` });
    expect(filesWithValues(rt.searched, values)).toEqual([]);
    expectNoValues(rt.result.output, values);
  });

  it('a function updates a secret and reads it back (S3 SDK from NODE_PATH); one KMS call; the store holds it sealed', async () => {
    values.API_KEY_NEW = token('api-new');
    const [update, fresh, rate] = outcomes(
      await invoke([
        { op: 'update', key: 'API_KEY', value: values.API_KEY_NEW },
        { op: 'read', key: 'API_KEY', useCache: false },
        { op: 'update', key: 'RATE', value: 42 },
      ]),
    );
    expect(update).toMatchObject({ ok: true, value: digest(values.API_KEY_NEW), env: digest(values.API_KEY!) });
    expect(fresh).toMatchObject({ ok: true, value: digest(values.API_KEY_NEW) });
    expect(rate).toMatchObject({ ok: true, value: digest('42'), type: 'number' });
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expect(s3.keys(BUCKET)).toEqual([`${FOLDER}API_KEY.json`, `${FOLDER}RATE.json`]);
    for (const key of s3.keys(BUCKET)) expectNoValues(s3.getObject(BUCKET, key)!.body.toString('utf8'), values);
  });

  it('a second cold instance sees the new values through readSecret; its environment has the packaged ones', async () => {
    const [api, rate] = outcomes(
      await invoke([
        { op: 'read', key: 'API_KEY' },
        { op: 'read', key: 'RATE' },
      ]),
    );
    expect(api).toMatchObject({ ok: true, value: digest(values.API_KEY_NEW), env: digest(values.API_KEY!) });
    expect(rate).toMatchObject({ ok: true, value: digest('42'), type: 'number', env: digest(values.RATE!) });
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expect(s3.requests.filter((r) => r.operation === 'PutObject')).toEqual([]);
  });
});
