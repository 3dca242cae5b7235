/**
 * Runtime mode with serverless-esbuild emitting ES modules (format: esm, .mjs) in serverless v3: the
 * wrapper bundled as an ES module opens the secrets before the TypeScript handler's module is evaluated
 * (a top-level await in it included), with one KMS call per cold start and none warm.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoValues } from '../support/plugin-package-suite.js';
import {
  digest,
  filesWithValues,
  packageRuntimeService,
  secretsForRuntime,
  type RuntimeService,
} from '../support/runtime-mode-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;

describe(`runtime mode with serverless-esbuild ES module output in '${fw.name}' '${fw.version}' (fixtures/sls-runtime-esbuild-esm)`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-runtime-esbuild-esm', {
      stage: 'staging',
      secrets: secretsForRuntime(),
      modules: ['serverless-esbuild', 'esbuild'],
    });
  });
  afterAll(() => rt?.cleanup());

  it('bundles the wrapper as an .mjs entry; no value in .serverless, the bundle, the zip or the log', () => {
    expect(rt.fns.hello!.handler).toBe('.stage-secrets-runtime/hello/wrapper.handler');
    const files = fs.readdirSync(rt.fns.hello!.taskRoot, { recursive: true }).map(String).sort();
    expect(files).toEqual([
      '.stage-secrets-runtime',
      '.stage-secrets-runtime/hello',
      '.stage-secrets-runtime/hello/wrapper.mjs',
    ]);
    expect(filesWithValues(rt.searched, rt.secrets)).toEqual([]);
    expect(filesWithValues([rt.svc.dir], rt.secrets)).toEqual([]);
    expectNoValues(rt.result.output, rt.secrets);
    expect(fs.existsSync(path.join(rt.svc.dir, '.stage-secrets-runtime'))).toBe(false);
  });

  it('secrets at module load (top-level await included), in process.env and through SecretClient; one KMS call per cold start, none warm', async () => {
    rt.kms.resetCalls();
    const run = await rt.invoke('hello');
    expect(run.initError, run.stderr).toBeUndefined();
    const env = { API_KEY: digest(rt.secrets.API_KEY!), DB_PASSWORD: digest(rt.secrets.DB_PASSWORD!) };
    expect(run.invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined]);
    expect(run.invocations.map((i) => i.value)).toEqual(
      [1, 2, 3].map((n) => ({
        atLoad: env,
        atLoadClient: env.API_KEY,
        env,
        client: { DB_PASSWORD: env.DB_PASSWORD },
        update: 'READ_ONLY',
        used: ['API_KEY', 'DB_PASSWORD'],
        event: { n },
        esm: true,
      })),
    );
    expect(rt.kms.calls('Decrypt')).toBe(1);
    expectNoValues(JSON.stringify(run), rt.secrets);

    const second = await rt.invoke('hello', [{ n: 1 }]);
    expect(second.initError, second.stderr).toBeUndefined();
    expect(rt.kms.calls('Decrypt')).toBe(2);
  });
});
