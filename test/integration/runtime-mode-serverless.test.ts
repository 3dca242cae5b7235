/**
 * Runtime mode with the framework's own packager in serverless v3: no value in the template, the state
 * file or the zips; each handler shape sees its secrets when invoked as Lambda would; one KMS call per
 * cold start; tampering and a denied key fail the cold start with the cause and no value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsEnv } from '../support/kms-server.js';
import { expectNoValues } from '../support/plugin-package-suite.js';
import { runCli } from '../support/cli.js';
import {
  digest,
  filesWithValues,
  kmsStatements,
  packageAgainAs,
  packageRuntimeService,
  secretsForRuntime,
  type RuntimeService,
} from '../support/runtime-mode-suite.js';
import { FRAMEWORKS, runFramework } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;

describe(`runtime mode in '${fw.name}' '${fw.version}', the framework's packager (fixtures/sls-runtime)`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-runtime', { stage: 'prod', secrets: secretsForRuntime() });
  });
  afterAll(() => rt?.cleanup());

  it('leaves no value in .serverless, in the unzipped artifacts or in the log, and removes its generated files', () => {
    expect(filesWithValues(rt.searched, rt.secrets)).toEqual([]);
    expectNoValues(rt.result.output, rt.secrets);
    expect(fs.existsSync(path.join(rt.svc.dir, '.stage-secrets-runtime'))).toBe(false);
    // nor anywhere else in the service folder (the stage file holds sealed values; links are not followed)
    expect(filesWithValues([rt.svc.dir], rt.secrets)).toEqual([]);
  });

  it('sets no secret in any Environment.Variables: the yaml values stay', () => {
    expect(rt.fns.cjsAsync!.variables).toEqual({
      API_KEY: 'from-provider-yaml',
      PLAIN: 'plain-provider-value',
      DB_PASSWORD: 'from-function-yaml',
    });
    expect(rt.fns.nested!.variables).toEqual({ API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value' });
  });

  it('gives the role kms:Decrypt on the stage key under the encryption context {app, stage}, and nothing more', () => {
    expect(kmsStatements(rt.template)).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [rt.key.arn],
        Condition: {
          StringEquals: { 'kms:EncryptionContext:app': 'runtime-svc', 'kms:EncryptionContext:stage': 'prod' },
        },
      },
    ]);
  });

  it('makes the wrapper the handler of each function that receives secrets, and packages each function on its own', () => {
    expect(rt.fns.cjsAsync!.handler).toBe('.stage-secrets-runtime/cjsAsync/wrapper.handler');
    expect(rt.fns.none!.handler).toBe('handler.main');
    expect(rt.result.output).toContain(
      'runtime mode: 2 secrets of stage prod sealed into the packages of 4 of 5 functions',
    );
    expect(rt.result.output).toContain('each is packaged on its own');
  });

  it("packages a function's own entries only", () => {
    const sealedOf = (fn: string) =>
      JSON.parse(
        fs.readFileSync(path.join(rt.fns[fn]!.taskRoot, '.stage-secrets-runtime', fn, 'sealed.json'), 'utf8'),
      ) as { secrets: object; approvedBundle?: string };
    expect(Object.keys(sealedOf('nested').secrets)).toEqual(['API_KEY']);
    expect(Object.keys(sealedOf('cjsAsync').secrets)).toEqual(['API_KEY', 'DB_PASSWORD']);
    // the build held the key: each bundle carries its own approval tag (over its own entries)
    expect(sealedOf('nested').approvedBundle).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sealedOf('cjsAsync').approvedBundle).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sealedOf('nested').approvedBundle).not.toBe(sealedOf('cjsAsync').approvedBundle);
    expect(fs.readdirSync(path.join(rt.fns.nested!.taskRoot, '.stage-secrets-runtime'))).toEqual(['nested']);
    expect(fs.existsSync(path.join(rt.fns.none!.taskRoot, '.stage-secrets-runtime'))).toBe(false);
  });

  const both = () => ({
    API_KEY: digest(rt.secrets.API_KEY!),
    DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!),
    LIMITS: null,
    PLAIN: digest('plain-provider-value'),
  });

  it('CommonJS async handler: secrets over yaml, already at module load; one KMS call for a cold and two warm invocations', async () => {
    rt.kms.resetCalls();
    const run = await rt.invoke('cjsAsync');
    expect(run.initError, run.stderr).toBeUndefined();
    expect(run.invocations).toHaveLength(3);
    for (const [n, inv] of run.invocations.entries()) {
      expect(inv.error, run.stderr).toBeUndefined();
      expect(inv.value).toEqual({ atLoad: both(), env: both(), event: { n: n + 1 }, shape: 'cjs-async' });
    }
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expect(rt.kms.requests[0]!.encryptionContext).toEqual({ app: 'runtime-svc', stage: 'prod' });
    expect(run.stderr + run.logs).not.toMatch(/Warning|AWS SDK/);
  });

  it('a second cold start makes its own single KMS call', async () => {
    rt.kms.resetCalls();
    await rt.invoke('cjsAsync', [{}]);
    await rt.invoke('cjsAsync', [{}, {}]);
    expect(rt.kms.calls('Decrypt')).toBe(2);
  });

  it('ES module callback handler: the original function is the export, callback semantics intact', async () => {
    const run = await rt.invoke('esmCallback');
    expect(run.initError, run.stderr).toBeUndefined();
    for (const inv of run.invocations) {
      expect(inv.value).toMatchObject({
        atLoad: { ...both(), DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!) },
        shape: 'esm-callback',
        waits: true,
      });
      expect(inv.callbackWaits).toBe(true);
    }
  });

  it('a .js ES module (package.json "type": "module") async handler sees its secrets at load', async () => {
    const run = await rt.invoke('esmTypeModule', [{ n: 1 }]);
    expect(run.initError, run.stderr).toBeUndefined();
    const all = { ...both() };
    expect(run.invocations[0]!.value).toEqual({ atLoad: all, env: all, event: { n: 1 }, shape: 'esm-type-module' });
  });

  it('handler in a sub-folder with a nested export gets only its listed secret', async () => {
    const run = await rt.invoke('nested');
    expect(run.initError, run.stderr).toBeUndefined();
    const expected = {
      API_KEY: digest(rt.secrets.API_KEY!),
      DB_PASSWORD: null,
      LIMITS: null,
      PLAIN: digest('plain-provider-value'),
    };
    expect(run.invocations.map((i) => i.value)).toEqual(
      [1, 2, 3].map((n) => ({ atLoad: expected, env: expected, event: { n }, shape: 'nested-callback' })),
    );
  });

  it('a function without secrets runs unwrapped and calls no KMS', async () => {
    rt.kms.resetCalls();
    const run = await rt.invoke('none', [{}]);
    expect(run.invocations[0]!.value).toMatchObject({
      env: { API_KEY: digest('from-provider-yaml'), DB_PASSWORD: null },
    });
    expect(rt.kms.calls()).toBe(0);
  });

  it('invoke local keeps env mode: the local process gets the values, no wrapper, nothing left behind', async () => {
    const invoked = await runFramework(
      fw,
      ['invoke', 'local', '-f', 'cjsAsync', '--stage', 'prod'],
      rt.svc.dir,
      rt.svc.env,
    );
    expect(invoked.code, invoked.output).toBe(0);
    const reported = JSON.parse(
      invoked.stdout.slice(invoked.stdout.indexOf('{'), invoked.stdout.lastIndexOf('}') + 1),
    ) as { env: unknown };
    expect(reported.env).toEqual(both());
    expect(fs.existsSync(path.join(rt.svc.dir, '.stage-secrets-runtime'))).toBe(false);
  });

  it('KMS denied: the cold start fails naming kms:Decrypt, the key and the context, and no value', async () => {
    rt.kms.deny('Decrypt');
    try {
      const run = await rt.invoke('cjsAsync', [{}]);
      expect(run.initError?.code).toBe('ACCESS_DENIED');
      expect(run.initError?.message).toContain(
        'stage-secrets: cannot open the secrets packaged for function cjsAsync (app runtime-svc, stage prod)',
      );
      expect(run.initError?.message).toContain('needs kms:Decrypt');
      expect(run.initError?.message).toContain('app=runtime-svc, stage=prod');
      expectNoValues(JSON.stringify(run), rt.secrets);
    } finally {
      rt.kms.allowAll();
    }
  });

  it('KMS unreachable: the cold start fails saying so', async () => {
    const run = await rt.invoke(
      'cjsAsync',
      [{}],
      kmsEnv(rt.kms, { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9', STAGE_SECRETS_KMS_MAX_ATTEMPTS: '1' }),
    );
    expect(run.initError?.code).toBe('KEY_UNAVAILABLE');
    expect(run.initError?.message).toContain('unreachable');
  });

  it('a tampered sealed file fails the cold start naming the secret, never a value', async () => {
    const file = path.join(rt.fns.nested!.taskRoot, '.stage-secrets-runtime', 'nested', 'sealed.json');
    const original = fs.readFileSync(file, 'utf8');
    const sealed = JSON.parse(original) as { secrets: Record<string, { ct: string }> };
    const ct = Buffer.from(sealed.secrets.API_KEY!.ct, 'base64');
    ct[0]! ^= 1;
    sealed.secrets.API_KEY!.ct = ct.toString('base64');
    fs.writeFileSync(file, JSON.stringify(sealed));
    try {
      const run = await rt.invoke('nested', [{}]);
      expect(run.initError?.code).toBe('INTEGRITY');
      expect(run.initError?.message).toContain('integrity check failed for API_KEY');
      expectNoValues(JSON.stringify(run), rt.secrets);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('a packaged entry without its approval tag fails the cold start: the runtime checks approvals too', async () => {
    const file = path.join(rt.fns.nested!.taskRoot, '.stage-secrets-runtime', 'nested', 'sealed.json');
    const original = fs.readFileSync(file, 'utf8');
    const sealed = JSON.parse(original) as { secrets: Record<string, { approved?: string }> };
    delete sealed.secrets.API_KEY!.approved;
    fs.writeFileSync(file, JSON.stringify(sealed));
    try {
      const run = await rt.invoke('nested', [{}]);
      expect(run.initError?.code).toBe('UNAPPROVED');
      expect(run.initError?.message).toContain('names no key holder approved: API_KEY');
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  // last: it raises the stage's approval epoch
  it('after approve --revoke (a raised approval epoch) a new package carries the epoch and its cold start opens', async () => {
    const env = { ...rt.svc.env, ...kmsEnv(rt.kms) };
    const revoke = await runCli(['approve', '--stage', 'prod', '--revoke', 'GONE_NAME'], { cwd: rt.svc.dir, env });
    expect(revoke.code, revoke.stderr).toBe(0);
    const again = await packageAgainAs(fw, rt, 'prod');
    try {
      const file = path.join(again.fns.nested!.taskRoot, '.stage-secrets-runtime', 'nested', 'sealed.json');
      const sealed = JSON.parse(fs.readFileSync(file, 'utf8')) as { approvalEpoch?: unknown };
      expect(sealed.approvalEpoch).toMatchObject({ epoch: 1 });
      const run = await again.invoke('nested', [{}]);
      expect(run.initError, run.stderr).toBeUndefined();
      expect(run.invocations[0]!.value).toMatchObject({ env: { API_KEY: digest(rt.secrets.API_KEY!) } });
    } finally {
      await again.cleanup();
    }
  });
});
