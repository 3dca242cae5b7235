/**
 * Runtime mode with serverless-esbuild (serverless v3): the wrapper is the bundle's entry, the sealed
 * entries are inlined, a TypeScript handler reads its secrets from process.env and through SecretClient.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsEnv } from '../support/kms-server.js';
import { expectNoValues } from '../support/plugin-package-suite.js';
import {
  digest,
  filesWithValues,
  kmsStatements,
  packageRuntimeService,
  secretsForRuntime,
  type RuntimeService,
} from '../support/runtime-mode-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;

describe(`runtime mode with serverless-esbuild in '${fw.name}' '${fw.version}' (fixtures/sls-runtime-esbuild)`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-runtime-esbuild', {
      stage: 'staging',
      secrets: secretsForRuntime(),
      modules: ['serverless-esbuild', 'esbuild'],
    });
  });
  afterAll(() => rt?.cleanup());

  it('leaves no value in .serverless, the bundles, the zips or the log', () => {
    expect(filesWithValues(rt.searched, rt.secrets)).toEqual([]);
    expectNoValues(rt.result.output, rt.secrets);
    expect(fs.existsSync(path.join(rt.svc.dir, '.stage-secrets-runtime'))).toBe(false);
    // nor anywhere else in the service folder (the stage file holds sealed values; links are not followed)
    expect(filesWithValues([rt.svc.dir], rt.secrets)).toEqual([]);
  });

  it('bundles each wrapper with its own entries inlined, and no environment holds a secret', () => {
    expect(rt.fns.hello!.handler).toBe('.stage-secrets-runtime/hello/wrapper.handler');
    const files = (fn: string) => fs.readdirSync(rt.fns[fn]!.taskRoot, { recursive: true }).map(String).sort();
    expect(files('legacy')).toEqual([
      '.stage-secrets-runtime',
      '.stage-secrets-runtime/legacy',
      '.stage-secrets-runtime/legacy/wrapper.js',
    ]);
    const legacyBundle = fs.readFileSync(
      path.join(rt.fns.legacy!.taskRoot, '.stage-secrets-runtime/legacy/wrapper.js'),
      'utf8',
    );
    // the sealed entries of legacy: API_KEY alone, then the bundle approval tag (the build held the key)
    expect(legacyBundle).toMatch(
      /secrets: \{ API_KEY: \{ type: "string"[^}]*\} \}, approvedBundle: "[A-Za-z0-9+/]{43}=" \};/,
    );
    const helloBundle = fs.readFileSync(
      path.join(rt.fns.hello!.taskRoot, '.stage-secrets-runtime/hello/wrapper.js'),
      'utf8',
    );
    expect(helloBundle).toMatch(
      /secrets: \{ API_KEY: \{ type: "string"[^}]*\}, DB_PASSWORD: \{ type: "string"[^}]*\} \}, approvedBundle: "[A-Za-z0-9+/]{43}=" \};/,
    );
    expect(rt.fns.hello!.variables).toEqual({
      API_KEY: 'from-provider-yaml',
      PLAIN: 'plain-provider-value',
      DEPLOY_STAGE: 'staging',
      DB_PASSWORD: 'from-function-yaml',
    });
    expect(kmsStatements(rt.template)).toHaveLength(1);
  });

  it('TypeScript async handler: secrets at module load, in process.env and through SecretClient; updateSecret is refused', async () => {
    rt.kms.resetCalls();
    const run = await rt.invoke('hello');
    expect(run.initError, run.stderr).toBeUndefined();
    const env = {
      API_KEY: digest(rt.secrets.API_KEY!),
      DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!),
      PLAIN: digest('plain-provider-value'),
    };
    for (const [n, inv] of run.invocations.entries()) {
      expect(inv.error, run.stderr).toBeUndefined();
      const value = inv.value as Record<string, unknown>;
      expect(value).toMatchObject({
        atLoad: env,
        env,
        client: { API_KEY: env.API_KEY, DB_PASSWORD: env.DB_PASSWORD },
        event: { n: n + 1 },
        shape: 'ts-async',
      });
      expect(value.used).toEqual(['API_KEY', 'DB_PASSWORD']);
      expect(value.update).toMatchObject({ code: 'READ_ONLY', isSecretError: true });
      expect((value.update as { message: string }).message).toContain('stage-secrets set --stage staging API_KEY');
    }
    expect(run.invocations).toHaveLength(3);
    // the cold call answers through the callback without waiting for the event loop, as an async handler
    // would; warm calls return the handler's own promise
    expect(run.invocations.map((i) => i.callbackWaits)).toEqual([false, true, true]);
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expectNoValues(JSON.stringify(run), rt.secrets);
  });

  it('without a callback (as nodejs24.x calls handlers), the first call answers with a promise', async () => {
    const run = await rt.invoke('hello', [{ n: 1 }, { n: 2 }], { ...kmsEnv(rt.kms), LAMBDA_NO_CALLBACK: '1' });
    expect(run.initError, run.stderr).toBeUndefined();
    expect(run.invocations.map((i) => (i.value as { event: unknown }).event)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('callback handler: answers through its callback on the cold and the warm invocations', async () => {
    rt.kms.resetCalls();
    const run = await rt.invoke('legacy');
    expect(run.initError, run.stderr).toBeUndefined();
    const atLoad = { API_KEY: digest(rt.secrets.API_KEY!), DB_PASSWORD: null };
    expect(run.invocations.map((i) => i.value)).toEqual(
      [1, 2, 3].map((n) => ({ atLoad, event: { n }, shape: 'js-callback', waits: true })),
    );
    expect(run.invocations.map((i) => i.callbackWaits)).toEqual([true, true, true]);
    expect(rt.kms.calls('Decrypt')).toBe(1);
  });

  it('KMS denied: the first invocation fails naming the cause, the next one tries again', async () => {
    rt.kms.deny('Decrypt');
    let run: Awaited<ReturnType<typeof rt.invoke>> | undefined;
    try {
      run = await rt.invoke('legacy', [{ n: 1 }]);
    } finally {
      rt.kms.allowAll();
    }
    expect(run.invocations[0]!.error?.code).toBe('ACCESS_DENIED');
    expect(run.invocations[0]!.error?.message).toContain('cannot open the secrets packaged for function legacy');
  });
});
