/**
 * Runtime mode in osls with the framework's own packager, and what runtime mode refuses: a stage without
 * an aws-kms identity, functions that are not Node.js.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoValues, token } from '../support/plugin-package-suite.js';
import {
  digest,
  filesWithValues,
  kmsStatements,
  packageRuntimeService,
  secretsForRuntime,
  type RuntimeService,
} from '../support/runtime-mode-suite.js';
import { FRAMEWORKS, packageService, prepareService } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'osls')!;

describe(`runtime mode in '${fw.name}' '${fw.version}', the framework's packager (fixtures/sls-runtime)`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-runtime', { stage: 'prod', secrets: secretsForRuntime() });
  });
  afterAll(() => rt?.cleanup());

  it('leaves no value in .serverless or the artifacts; the role may decrypt under {app, stage} only', () => {
    expect(filesWithValues(rt.searched, rt.secrets)).toEqual([]);
    expectNoValues(rt.result.output, rt.secrets);
    expect(rt.fns.cjsAsync!.variables).toEqual({
      API_KEY: 'from-provider-yaml',
      PLAIN: 'plain-provider-value',
      DB_PASSWORD: 'from-function-yaml',
    });
    expect(kmsStatements(rt.template)).toEqual([
      expect.objectContaining({
        Resource: [rt.key.arn],
        Condition: {
          StringEquals: { 'kms:EncryptionContext:app': 'runtime-svc', 'kms:EncryptionContext:stage': 'prod' },
        },
      }),
    ]);
  });

  it('CommonJS and ES module handlers see their secrets; one KMS call per cold start', async () => {
    rt.kms.resetCalls();
    const cjs = await rt.invoke('cjsAsync');
    const esm = await rt.invoke('esmCallback');
    const both = {
      API_KEY: digest(rt.secrets.API_KEY!),
      DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!),
      LIMITS: null,
      PLAIN: digest('plain-provider-value'),
    };
    expect(cjs.invocations.map((i) => i.value)).toEqual(
      [1, 2, 3].map((n) => ({ atLoad: both, env: both, event: { n }, shape: 'cjs-async' })),
    );
    expect(esm.invocations.map((i) => (i.value as { atLoad: unknown }).atLoad)).toEqual([both, both, both]);
    expect(rt.kms.calls('Decrypt')).toBe(2);
  });
});

describe(`runtime mode in '${fw.name}', every function with the same secrets: one zip for all`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-runtime', {
      stage: 'prod',
      // over Lambda's 4 KB environment limit, which env mode refuses: in runtime mode secrets do not count
      secrets: { ...secretsForRuntime(), BLOB: token('blob').padEnd(4050, 'z') },
      edit: (yml) => yml.replace('    secrets: [API_KEY]\n', '').replace('    secrets: []\n', ''),
    });
  });
  afterAll(() => rt?.cleanup());

  it('packages the service as one zip holding every wrapper, secrets over 4 KB included, and each function opens its secrets', async () => {
    expect(new Set(Object.values(rt.fns).map((f) => f.taskRoot)).size).toBe(1);
    expect(rt.result.output).not.toContain('packaged on its own');
    expect(filesWithValues(rt.searched, rt.secrets)).toEqual([]);
    const run = await rt.invoke('nested', [{ n: 1 }]);
    expect(run.initError, run.stderr).toBeUndefined();
    expect((run.invocations[0]!.value as { env: Record<string, unknown> }).env).toMatchObject({
      API_KEY: digest(rt.secrets.API_KEY!),
      DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!),
    });
  });
});

describe(`runtime mode in '${fw.name}' with serverless-esbuild listed after stage-secrets`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-runtime-esbuild', {
      stage: 'qa',
      secrets: secretsForRuntime(),
      modules: ['serverless-esbuild', 'esbuild'],
      edit: (yml) =>
        yml.replace(
          '  - serverless-esbuild\n  - stage-secrets/plugin\n',
          '  - stage-secrets/plugin\n  - serverless-esbuild\n',
        ),
    });
  });
  afterAll(() => rt?.cleanup());

  it('the plugin order does not matter: the bundled wrapper opens the secrets, nothing leaks', async () => {
    expect(fs.readFileSync(path.join(rt.svc.dir, 'serverless.yml'), 'utf8')).toContain(
      '  - stage-secrets/plugin\n  - serverless-esbuild\n',
    );
    expect(filesWithValues(rt.searched, rt.secrets)).toEqual([]);
    const run = await rt.invoke('hello', [{ n: 1 }]);
    expect(run.initError, run.stderr).toBeUndefined();
    const env = {
      API_KEY: digest(rt.secrets.API_KEY!),
      DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!),
      PLAIN: digest('plain-provider-value'),
    };
    expect(run.invocations[0]!.value).toMatchObject({ atLoad: env, client: { API_KEY: env.API_KEY } });
  });
});

describe(`runtime mode refusals in '${fw.name}'`, () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('a stage without an aws-kms identity: refused before packaging, naming rewrap --kms', async () => {
    const secrets = secretsForRuntime();
    const svc = await prepareService('sls-runtime', { stage: 'dev', secrets });
    cleanups.push(svc.ws.cleanup);
    const { result, template } = await packageService(fw, svc);
    expect(result.code).not.toBe(0);
    expect(template).toBeUndefined();
    expect(result.output).toContain('stage dev has no aws-kms identity');
    expect(result.output).toContain('stage-secrets rewrap --stage dev --kms KEY_ID');
    expect(fs.existsSync(path.join(svc.dir, '.stage-secrets-runtime'))).toBe(false);
    expectNoValues(result.output, secrets);
  });

  it('a function that is not Node.js: refused by name', async () => {
    const svc = await prepareService('sls-runtime', { stage: 'dev', secrets: secretsForRuntime() });
    cleanups.push(svc.ws.cleanup);
    const file = path.join(svc.dir, 'serverless.yml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(file, 'utf8')
        .replace('functions:\n', 'functions:\n  report:\n    handler: report.main\n    runtime: python3.11\n'),
    );
    const { result } = await packageService(fw, svc);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('function report runs python3.11');
    expect(result.output).toContain('Use nodejs18.x or later for these functions, or mode: env');
  });
});
