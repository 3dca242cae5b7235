/**
 * Runtime mode writes each function's files into .stage-secrets-runtime/<function>/ and generates a
 * wrapper whose text names the function. serverless v3 only warns about a function name outside its own
 * rule (^[a-zA-Z0-9-_]+$) unless configValidationMode is error, so the plugin must not trust the name:
 * `../..` in it would write outside the service's generated folder (and survive the clean-up), a line
 * break would turn the rest of the name into code of the wrapper that runs at every cold start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { FRAMEWORKS, packageService, prepareService, type SlsService } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;

describe(`runtime mode refuses function names that are not serverless function names ('${fw.name}' '${fw.version}')`, () => {
  let kms: KmsServer;
  let svc: SlsService;
  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/runtime' });
    svc = await prepareService('sls-runtime', {
      stage: 'prod',
      secrets: { API_KEY: 'api-value-5d1f0c2e9b' },
      identity: { args: ['--kms', 'alias/runtime'], env: kmsEnv(kms) },
    });
  });
  afterAll(async () => {
    svc?.ws.cleanup();
    await kms?.close();
  });

  function withFunctions(functions: string): void {
    const file = path.join(svc.dir, 'serverless.yml');
    const yml = fs.readFileSync(file, 'utf8').replace('configValidationMode: error', 'configValidationMode: warn');
    fs.writeFileSync(file, `${yml.slice(0, yml.indexOf('functions:'))}functions:\n${functions}`);
  }

  it('a name with ../ writes nothing outside the service folder and packages nothing', async () => {
    withFunctions(`  "../../escape":\n    handler: handler.main\n`);
    const { result } = await packageService(fw, svc);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'function "../../escape": runtime mode needs a function name of letters, digits, - and _',
    );
    expect(fs.existsSync(path.join(svc.dir, '..', 'escape'))).toBe(false);
    expect(fs.existsSync(path.join(svc.dir, '.stage-secrets-runtime'))).toBe(false);
  });

  it('a name with a line break is refused before any wrapper is generated', async () => {
    const marker = path.join(svc.ws.dir, '..', 'injected');
    const name = `x\nrequire('fs').writeFileSync(${JSON.stringify(marker)}, '1')//`;
    withFunctions(`  ${JSON.stringify(name)}:\n    handler: handler.main\n`);
    const { result } = await packageService(fw, svc);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('runtime mode needs a function name of letters, digits, - and _');
    expect(fs.existsSync(path.join(svc.dir, '.stage-secrets-runtime'))).toBe(false);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
