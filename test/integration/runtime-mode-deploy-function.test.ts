/**
 * `deploy function -f X` in runtime mode, in osls, offline: osls's real Lambda client talks to the local
 * Lambda control plane of test/support/lambda-server.ts (AWS_ENDPOINT_URL_LAMBDA). The plugin's hook at
 * before:deploy:function:initialize must have written the function's files before the first AWS call;
 * the code osls uploads is then unzipped and invoked as Lambda would, with the handler and environment
 * osls sent, against the local KMS server.
 */
import { DEPLOY_DIGEST_ENV } from '../../src/core/deploy-digest.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { invokeLambda, unzipArtifact } from '../support/lambda-invoke.js';
import { startLambdaServer, type LambdaServer } from '../support/lambda-server.js';
import { expectNoValues } from '../support/plugin-package-suite.js';
import { digest, filesWithValues, secretsForRuntime } from '../support/runtime-mode-suite.js';
import {
  FRAMEWORKS,
  prepareService,
  runFramework,
  type FrameworkResult,
  type SlsService,
} from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'osls')!;
const FUNCTION = 'runtime-svc-prod-cjsAsync';
const YAML_ENV = { API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value', DB_PASSWORD: 'from-function-yaml' };

describe(`runtime mode, deploy function -f cjsAsync in '${fw.name}' '${fw.version}' (fixtures/sls-runtime)`, () => {
  let kms: KmsServer;
  let lambda: LambdaServer;
  let svc: SlsService;
  let result: FrameworkResult;
  let taskRoot: string | undefined;
  /** the generated files as they were when osls made its first AWS call */
  let filesAtFirstCall: string[] | undefined;
  const secrets = secretsForRuntime();

  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/runtime' });
    svc = await prepareService('sls-runtime', {
      stage: 'prod',
      secrets,
      identity: { args: ['--kms', 'alias/runtime'], env: kmsEnv(kms) },
    });
    lambda = await startLambdaServer();
    // as deployed before in env mode: the values in its configuration
    lambda.createFunction({
      FunctionName: FUNCTION,
      Handler: 'handler.main',
      Environment: { ...YAML_ENV, API_KEY: secrets.API_KEY!, DB_PASSWORD: secrets.DB_PASSWORD! },
    });
    lambda.onRequest = () => {
      const dir = path.join(svc.dir, '.stage-secrets-runtime');
      filesAtFirstCall ??= fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [];
    };
    result = await runFramework(fw, ['deploy', 'function', '-f', 'cjsAsync', '--stage', 'prod'], svc.dir, {
      ...svc.env,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    });
  });
  afterAll(async () => {
    if (taskRoot) fs.rmSync(taskRoot, { recursive: true, force: true });
    svc?.ws.cleanup();
    await lambda?.close();
    await kms?.close();
  });

  it('writes the sealed entries, the runtime and the wrapper before the first AWS call, and removes them after', () => {
    expect(result.code, result.output).toBe(0);
    expect(lambda.requests[0]!.operation).toBe('GetFunction');
    expect(filesAtFirstCall).toEqual(
      expect.arrayContaining([
        'cjsAsync',
        'cjsAsync/sealed.json',
        'cjsAsync/stage-secrets-runtime.cjs',
        'cjsAsync/wrapper.mjs',
      ]),
    );
    expect(fs.existsSync(path.join(svc.dir, '.stage-secrets-runtime'))).toBe(false);
  });

  it("sends the wrapper as the handler and serverless.yml's environment, which replaces env mode's values; no value in a request or the log", () => {
    expect(lambda.requests.map((r) => r.operation)).toEqual([
      'GetFunction',
      'UpdateFunctionCode',
      'UpdateFunctionConfiguration',
      'GetFunction',
    ]);
    const update = lambda.requests.find((r) => r.operation === 'UpdateFunctionConfiguration')!;
    expect(update.body).toMatchObject({
      Handler: '.stage-secrets-runtime/cjsAsync/wrapper.handler',
      Environment: { Variables: { ...YAML_ENV, [DEPLOY_DIGEST_ENV]: expect.stringMatching(/^v1\./) } },
    });
    expect(lambda.getFunction(FUNCTION)!.Environment.Variables).toEqual({
      ...YAML_ENV,
      [DEPLOY_DIGEST_ENV]: expect.stringMatching(/^v1\./),
    });
    expectNoValues(JSON.stringify(lambda.requests), secrets);
    expectNoValues(result.output, secrets);
    // nor anywhere in the service folder (osls removed .serverless; the stage file holds sealed values)
    expect(filesWithValues([svc.dir], secrets)).toEqual([]);
  });

  it('the uploaded code, invoked with the handler and environment osls sent, opens its secrets with one KMS call', async () => {
    const fn = lambda.getFunction(FUNCTION)!;
    const zip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-upload-')), 'code.zip');
    fs.writeFileSync(zip, fn.zip!);
    taskRoot = unzipArtifact(zip);
    fs.rmSync(path.dirname(zip), { recursive: true, force: true });
    expect(filesWithValues([taskRoot], secrets)).toEqual([]);
    // secrets/ sits in the service folder: the repackaged function carries no stage file, only its own sealed file
    const files = fs.readdirSync(taskRoot, { recursive: true }).map(String);
    expect(files.filter((f) => f === 'secrets' || f.startsWith('secrets/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('sealed.json'))).toEqual(['.stage-secrets-runtime/cjsAsync/sealed.json']);
    kms.resetCalls();
    const run = await invokeLambda({
      taskRoot,
      handler: fn.Handler,
      functionName: FUNCTION,
      variables: fn.Environment.Variables,
      aws: kmsEnv(kms),
      events: [{ n: 1 }, { n: 2 }],
    });
    expect(run.initError, run.stderr).toBeUndefined();
    const env = {
      API_KEY: digest(secrets.API_KEY!),
      DB_PASSWORD: digest(secrets.DB_PASSWORD!),
      LIMITS: null,
      PLAIN: digest('plain-provider-value'),
    };
    expect(run.invocations.map((i) => i.value)).toEqual(
      [1, 2].map((n) => ({ atLoad: env, env, event: { n }, shape: 'cjs-async' })),
    );
    expect(kms.calls('Decrypt')).toBe(1);
  });
});
