/**
 * The contract at package time with serverless-esbuild (serverless v3, runtime mode): `secrets: auto`
 * still gives each function's bundle exactly the sealed names its own code reads, and the function opens
 * them at cold start. The scan reads the handlers' sources, not the bundles.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { token } from '../support/plugin-package-suite.js';
import { packageRuntimeService, type RuntimeService } from '../support/runtime-mode-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
const WITH_ESBUILD = (yml: string) =>
  yml
    .replace(
      'plugins:\n',
      'custom:\n  stageSecrets:\n    mode: runtime\n  esbuild:\n    bundle: true\n\nplugins:\n  - serverless-esbuild\n',
    )
    .replace("    - '!node_modules/**'\n", '');

describe(`contract at package time with serverless-esbuild in '${fw.name}' '${fw.version}' (fixtures/sls-contract)`, () => {
  let rt: RuntimeService;
  const secrets = {
    API_KEY: token('api'),
    DB_PASSWORD: token('db'),
    QUEUE_URL: token('queue'),
    UNUSED_SECRET: token('u'),
  };
  beforeAll(async () => {
    rt = await packageRuntimeService(fw, 'sls-contract', {
      stage: 'dev',
      secrets,
      modules: ['serverless-esbuild', 'esbuild'],
      edit: WITH_ESBUILD,
    });
  });
  afterAll(() => rt?.cleanup());

  it("secrets: auto: the worker's bundle holds only the name its code reads, and opens it at cold start", async () => {
    expect(rt.result.code, rt.result.output).toBe(0);
    expect(rt.result.output).toContain('stage-secrets: secrets: auto: worker gets QUEUE_URL');
    // the bundler inlines the sealed entries into the worker's bundle: only QUEUE_URL's is there
    const root = rt.fns.worker!.taskRoot;
    const code = (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((f) => /\.(c|m)?js$/.test(f))
      .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
      .join('\n');
    expect(code).toContain('QUEUE_URL');
    for (const other of ['API_KEY', 'DB_PASSWORD', 'UNUSED_SECRET']) expect(code).not.toContain(other);
    const run = await rt.invoke('worker', [{}]);
    expect(run.initError, run.stderr).toBeUndefined();
    expect(run.invocations[0]!.value).toEqual({ queue: secrets.QUEUE_URL.length, mode: 'none' });
  });
});
